"""CREATE / DROP / DESCRIBE CONNECTOR and SHOW [SOURCE|SINK] CONNECTORS, over the engine's
connect runtime (`engine.connect`: the embedded worker, or a Kafka Connect cluster's REST API
when `ksql.connect.url` is set).

With the embedded worker, creating and dropping connectors are catalog changes: they are
written to the command log, so a restarted server runs the same connectors again (from their
stored offsets). A Connect cluster keeps its own connectors.
"""

from __future__ import annotations

from typing import Any

from ksql import ast
from ksql.connect.api import ConnectError, ConnectorExists, ConnectorNotFound
from ksql.connect.templates import resolve_config
from ksql.errors import KsqlError
from ksql.executor.metadata import describe
from ksql.results import (
    ConnectorDescriptionResult,
    ConnectorInfoResult,
    ConnectorListResult,
    ConnectorPluginsResult,
    DropConnectorResult,
    WarningResult,
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def create_connector(engine, stmt: ast.CreateConnector, text: str, session: dict[str, str]):
    config = resolve_config({k: _text(v) for k, v in stmt.properties.items()})
    connect = engine.connect
    try:
        if stmt.name in connect.names():
            if stmt.if_not_exists:
                return WarningResult(text, f"Connector {stmt.name} already exists")
            raise ConnectorExists(f"Connector {stmt.name} already exists")
        kind = connect.plugin_kind(config.get("connector.class", ""))
        if kind is not None and kind != stmt.kind.lower():
            raise ConnectError(
                f"{config['connector.class']} is a {kind} connector, not a "
                f"{stmt.kind.lower()} connector"
            )
        info = connect.create(stmt.name, config, keep_failed=engine.replaying)
    except ConnectError as error:
        raise KsqlError(f"Failed to create connector: {error}") from None
    if connect.local:
        engine.record_command(text, session)
    return ConnectorInfoResult(text, info)


def drop_connector(engine, stmt: ast.DropConnector, text: str, session: dict[str, str]):
    connect = engine.connect
    try:
        connect.delete(stmt.name)
    except ConnectorNotFound as error:
        if stmt.if_exists:
            return WarningResult(text, f"Connector {stmt.name} does not exist.")
        raise KsqlError(f"Failed to drop connector: {error}") from None
    except ConnectError as error:
        raise KsqlError(f"Failed to drop connector: {error}") from None
    if connect.local:
        engine.record_command(text, session)
    return DropConnectorResult(text, stmt.name)


def describe_connector(engine, stmt: ast.DescribeConnector, text: str, session: dict[str, str]):
    connect = engine.connect
    try:
        info = connect.info(stmt.name)
        status = connect.status(stmt.name)
        topics = tuple(connect.topics(stmt.name))
    except ConnectError as error:
        raise KsqlError(f"Failed to describe connector: {error}") from None
    sources = tuple(
        describe(engine, ast.Describe(source.name, extended=True), text, session)
        for source in sorted(engine.sources(), key=lambda s: s.name)
        if source.topic in topics
    )
    return ConnectorDescriptionResult(
        text, info["config"].get("connector.class", ""), status, sources, topics
    )


def show_connectors(engine, stmt: ast.Show, text: str) -> ConnectorListResult:
    connect = engine.connect
    wanted = stmt.connector_kind.lower() if stmt.connector_kind else None
    rows, warnings = [], []
    try:
        names = connect.names()
    except ConnectError as error:
        raise KsqlError(f"Failed to list connectors: {error}") from None
    for name in names:
        try:
            info, status = connect.info(name), connect.status(name)
        except ConnectError as error:  # dropped meanwhile, or the cluster hiccuped
            warnings.append(str(error))
            continue
        if wanted is not None and info["type"] != wanted:
            continue
        rows.append({"name": name, "type": info["type"],
                     "className": info["config"].get("connector.class", ""),
                     "state": _summary(status)})  # fmt: skip
    return ConnectorListResult(text, tuple(rows), tuple(warnings))


def show_plugins(engine, text: str) -> ConnectorPluginsResult:
    try:
        return ConnectorPluginsResult(text, tuple(engine.connect.plugins()))
    except ConnectError as error:
        raise KsqlError(f"Failed to list connector plugins: {error}") from None


def _summary(status: dict[str, Any]) -> str:
    """The connector's state, and for a running one how many of its tasks run."""
    state = status["connector"]["state"]
    if state != "RUNNING":
        return state
    tasks = status.get("tasks", [])
    running = sum(1 for t in tasks if t["state"] == "RUNNING")
    return f"RUNNING ({running}/{len(tasks)} tasks RUNNING)"


def create_statement(name: str, kind: str, config: dict[str, Any]) -> str:
    """The CREATE CONNECTOR statement for a connector created through Connect's REST API, so
    it goes to the command log like one created in SQL."""

    def quoted(text: Any) -> str:
        return "'" + _text(text).replace("'", "''") + "'"

    props = ", ".join(f"{quoted(k)}={quoted(v)}" for k, v in config.items() if k != "name")
    ident = "`" + name.replace("`", "``") + "`"
    return f"CREATE {kind.upper()} CONNECTOR {ident} WITH ({props});"


def drop_statement(name: str) -> str:
    return "DROP CONNECTOR `" + name.replace("`", "``") + "`;"
