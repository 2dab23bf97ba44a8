"""Typed results of executing statements; the server and shell render these."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ksql.catalog import PersistentQuery, Source


class Result:
    """Base of statement results; every result carries statement_text, the statement as written."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class CommandResult(Result):
    """A statement that changed something: DDL, persistent queries, SET, TERMINATE..."""

    statement_text: str
    message: str
    command_id: str = ""
    query_id: str | None = None
    status: str = "SUCCESS"
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceListResult(Result):
    statement_text: str
    kind: str  # STREAM or TABLE
    sources: tuple[Source, ...]
    extended: bool = False


@dataclass(frozen=True, slots=True)
class QueryListResult(Result):
    statement_text: str
    queries: tuple[PersistentQuery, ...]
    extended: bool = False


@dataclass(frozen=True, slots=True)
class TopicInfoRow:
    name: str
    partitions: int
    replicas: int


@dataclass(frozen=True, slots=True)
class TopicListResult(Result):
    statement_text: str
    topics: tuple[TopicInfoRow, ...]


@dataclass(frozen=True, slots=True)
class SourceDescriptionResult(Result):
    statement_text: str
    source: Source
    extended: bool
    readers: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    partitions: int = 1
    replicas: int = 1
    statistics: str = ""
    error_stats: str = ""


@dataclass(frozen=True, slots=True)
class PropertiesResult(Result):
    statement_text: str
    properties: dict[str, str] = field(hash=False)
    overwritten: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VariablesResult(Result):
    statement_text: str
    variables: dict[str, str] = field(hash=False)


@dataclass(frozen=True, slots=True)
class TypeListResult(Result):
    statement_text: str
    types: dict[str, str] = field(hash=False)


@dataclass(frozen=True, slots=True)
class ExplainResult(Result):
    """EXPLAIN: `plan` is the logical plan, `topology` the physical plan with its state stores
    and topics (ksqlDB's executionPlan and topology)."""

    statement_text: str
    query_id: str | None
    plan: str
    sql: str = ""
    topology: str = ""
    sources: tuple[str, ...] = ()
    sinks: tuple[str, ...] = ()
    columns: tuple[Any, ...] = ()  # catalog Columns of the result


@dataclass(frozen=True, slots=True)
class QueryColumn:
    name: str
    type: str
    is_key: bool = False


class TombstoneRow(list):
    """A push-query row that deletes its key from a table: key columns set, values null."""

    __slots__ = ()


@dataclass(slots=True)
class RowsResult(Result):
    """A push or pull query: its output columns and an iterator of rows (lists of values).

    For push queries rows arrive as the query produces them; close() stops the query.
    """

    statement_text: str
    query_id: str
    columns: tuple[QueryColumn, ...]
    rows: Iterator[list[Any]]
    is_pull: bool = False
    closer: Any = None
    # What a client is told when the rows end on their own (not closed): "Limit Reached" for a
    # push query's LIMIT, "Query Completed" for a pull query over a stream, None for a table.
    completion_message: str | None = None
    # The same rows grouped as produced (lists of rows), for consumers that move them in bulk;
    # it shares `rows`' position: a consumer uses one or the other.
    batches: Iterator[list[list[Any]]] | None = None

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


@dataclass(frozen=True, slots=True)
class ConnectorInfoResult(Result):
    """CREATE CONNECTOR: Connect's ConnectorInfo (name, config, tasks, type)."""

    statement_text: str
    info: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class ConnectorListResult(Result):
    """SHOW CONNECTORS: name, type, className and state of each connector."""

    statement_text: str
    connectors: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectorDescriptionResult(Result):
    """DESCRIBE CONNECTOR: its class and status, the ksql sources over its topics, and the
    topics."""

    statement_text: str
    connector_class: str
    status: dict[str, Any] = field(hash=False)
    sources: tuple[SourceDescriptionResult, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DropConnectorResult(Result):
    statement_text: str
    name: str


@dataclass(frozen=True, slots=True)
class ConnectorPluginsResult(Result):
    """SHOW CONNECTOR PLUGINS: class, type and version of each connector plug-in."""

    statement_text: str
    plugins: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class WarningResult(Result):
    """A statement that did nothing and says why (ksqlDB's warning_entity)."""

    statement_text: str
    message: str
