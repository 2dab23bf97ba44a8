"""Statements that read or set engine metadata: SHOW, DESCRIBE, EXPLAIN, SET, DEFINE, PRINT, ASSERT."""

from __future__ import annotations

from ksql import ast
from ksql.errors import KsqlError, StatementError
from ksql.properties import check_property
from ksql.results import (
    CommandResult,
    PropertiesResult,
    QueryColumn,
    QueryListResult,
    RowsResult,
    SourceDescriptionResult,
    SourceListResult,
    TopicInfoRow,
    TopicListResult,
    TypeListResult,
    VariablesResult,
)


def show(engine, stmt: ast.Show, text: str, session: dict[str, str]):
    what = stmt.what.upper()
    catalog = engine.catalog
    if what in ("STREAMS", "TABLES"):
        kind = what[:-1]
        sources = tuple(
            s for s in sorted(catalog.sources.values(), key=lambda s: s.name) if s.kind == kind
        )
        return SourceListResult(text, kind, sources, stmt.extended)
    if what == "QUERIES":
        return QueryListResult(text, tuple(catalog.queries.values()), stmt.extended)
    if what == "TOPICS":
        topics = tuple(
            TopicInfoRow(t.name, t.partitions, t.replicas)
            for t in sorted(engine.log.list_topics(), key=lambda t: t.name)
            if stmt.all_topics or not t.name.startswith("_")
        )
        return TopicListResult(text, topics)
    if what == "PROPERTIES":
        return PropertiesResult(text, dict(session))
    if what == "TYPES":
        return TypeListResult(text, {k: str(v) for k, v in sorted(catalog.types.items())})
    if what == "VARIABLES":
        return VariablesResult(text, dict(engine.variables))
    if what == "CONNECTORS":
        from ksql.executor.connectors import show_connectors

        return show_connectors(engine, stmt, text)
    if what == "CONNECTOR PLUGINS":
        from ksql.executor.connectors import show_plugins

        return show_plugins(engine, text)
    if what == "FUNCTIONS":
        from ksql.functions.listing import list_functions

        columns = tuple(QueryColumn(n, "STRING") for n in ("NAME", "TYPE", "CATEGORY"))
        rows = [[f.name, f.type, f.category] for f in list_functions()]
        return RowsResult(text, "", columns, iter(rows))
    raise StatementError(f"SHOW {what} is not supported")


def describe(engine, stmt: ast.Describe, text: str, session: dict[str, str]):
    if stmt.name is None:
        kind = (stmt.what or "STREAMS")[:-1]
        sources = [s for s in engine.catalog.sources.values() if s.kind == kind]
        return SourceListResult(text, kind, tuple(sorted(sources, key=lambda s: s.name)), True)
    source = engine.catalog.source(stmt.name)
    if source is None:
        raise KsqlError(f"Could not find STREAM/TABLE '{stmt.name}' in the Metastore")
    info = engine.log.describe_topic(source.topic) if engine.log.topic_exists(source.topic) else None
    readers = tuple(q.query_id for q in engine.catalog.queries_reading(source.name))
    writers = tuple(q.query_id for q in engine.catalog.queries_writing(source.name))
    errors = sum(engine.processing_log.counts[q] for q in readers)
    return SourceDescriptionResult(
        text,
        source,
        stmt.extended,
        readers,
        writers,
        info.partitions if info else 0,
        info.replicas if info else 0,
        statistics=_store_statistics(engine, writers) if stmt.extended else "",
        error_stats=f"failed-messages: {errors}" if errors else "",
    )


def _store_statistics(engine, writers: tuple[str, ...]) -> str:
    """The state stores the queries writing a source declare, one `state-store:` per store."""
    lines = []
    for query_id in writers:
        runner = engine.catalog.queries[query_id].runner
        for store in runner.state_stores() if runner is not None else ():
            lines.append(f"state-store: {query_id} {store.describe()}")
    return "\n".join(lines)


def describe_function(engine, stmt: ast.DescribeFunction, text: str, session: dict[str, str]):
    from ksql.functions.listing import describe as describe_fn
    from ksql.functions.listing import render

    info = describe_fn(stmt.name)
    if info is None:
        raise KsqlError(f"Can't find any functions with the name '{stmt.name}'")
    return CommandResult(text, render(info))


def set_property(engine, stmt: ast.SetProperty, text: str, session: dict[str, str]):
    check_property(stmt.name, stmt.value)  # unknown names and bad values, as ksqlDB refuses
    session[stmt.name] = stmt.value
    engine.properties[stmt.name] = stmt.value
    return CommandResult(text, f"Successfully changed local property '{stmt.name}' to '{stmt.value}'.")


def unset_property(engine, stmt: ast.UnsetProperty, text: str, session: dict[str, str]):
    session.pop(stmt.name, None)
    engine.properties.pop(stmt.name, None)
    return CommandResult(text, f"Successfully unset local property '{stmt.name}'.")


def define_variable(engine, stmt: ast.DefineVariable, text: str, session: dict[str, str]):
    engine.variables[stmt.name] = stmt.value
    return CommandResult(text, "")


def undefine_variable(engine, stmt: ast.UndefineVariable, text: str, session: dict[str, str]):
    if engine.variables.pop(stmt.name, None) is None:
        return CommandResult(text, f"Variable '{stmt.name}' is undefined")
    return CommandResult(text, "")


def print_topic(engine, stmt: ast.PrintTopic, text: str, session: dict[str, str]):
    if not engine.log.topic_exists(stmt.topic):
        raise KsqlError(f"Could not find topic '{stmt.topic}', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.")
    table = engine.read_topic(stmt.topic)
    rows = [
        [r["timestamp"], r["partition"], _text(r["key"]), _text(r["value"])]
        for r in table.to_pylist()
    ]
    if stmt.limit is not None:
        rows = rows[: stmt.limit]
    columns = tuple(QueryColumn(n, t) for n, t in (("ROWTIME", "BIGINT"), ("PARTITION", "INTEGER"), ("KEY", "STRING"), ("VALUE", "STRING")))
    return RowsResult(text, "", columns, iter(rows))


def _text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.hex()


def assert_topic(engine, stmt: ast.AssertTopic, text: str, session: dict[str, str]):
    exists = engine.log.topic_exists(stmt.topic)
    if exists != stmt.exists:
        state = "does not exist" if stmt.exists else "exists"
        raise KsqlError(f"Topic {stmt.topic} {state}")
    return CommandResult(text, f"Topic {stmt.topic} {'exists' if exists else 'does not exist'}")


def assert_schema(engine, stmt: ast.AssertSchema, text: str, session: dict[str, str]):
    raise KsqlError("Schema registry is not supported yet")
