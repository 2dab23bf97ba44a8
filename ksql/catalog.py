"""The catalog: streams, tables, custom types and persistent queries the engine knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ksql.errors import StatementError
from ksql.types import ArrayType, MapType, SqlType, StructField, StructType, TypeReference

KEY = "KEY"
VALUE = "VALUE"
HEADERS = "HEADERS"
HEADER = "HEADER"

# Pseudo columns every source row carries; never stored in the value.
PSEUDO_COLUMNS = ("ROWTIME", "ROWPARTITION", "ROWOFFSET")
WINDOW_BOUNDS = ("WINDOWSTART", "WINDOWEND")


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a source; namespace says where it lives in a record."""

    name: str
    type: SqlType
    namespace: str = VALUE
    header_key: str | None = None

    @property
    def is_key(self) -> bool:
        return self.namespace == KEY

    @property
    def is_header(self) -> bool:
        return self.namespace in (HEADERS, HEADER)


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """A serialization format with its properties, e.g. DELIMITED with a delimiter."""

    name: str
    properties: dict[str, Any] = field(default_factory=dict, hash=False)
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """How the keys of a windowed source are windowed: TUMBLING, HOPPING or SESSION."""

    kind: str
    size_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A STREAM or TABLE over a topic."""

    name: str
    kind: str
    topic: str
    columns: tuple[Column, ...]
    key_format: FormatSpec
    value_format: FormatSpec
    timestamp_column: str | None = None
    timestamp_format: str | None = None
    window: WindowInfo | None = None
    wrap_single_value: bool | None = None
    is_source: bool = False
    sql: str = ""
    created_by_query: str | None = None

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.namespace == KEY)

    @property
    def value_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.namespace == VALUE)

    @property
    def header_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_header)

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def is_table(self) -> bool:
        return self.kind == "TABLE"

    def schema_text(self) -> str:
        """The schema as ksqlDB prints it: `ID` INTEGER KEY, `NAME` STRING."""
        parts = []
        for c in self.columns:
            suffix = ""
            if c.namespace == KEY:
                suffix = " PRIMARY KEY" if self.is_table else " KEY"
            elif c.namespace == HEADERS:
                suffix = " HEADERS"
            elif c.namespace == HEADER:
                suffix = f" HEADER('{c.header_key}')"
            parts.append(f"`{c.name}` {c.type}{suffix}")
        return ", ".join(parts)


@dataclass(slots=True)
class PersistentQuery:
    """A running (or stopped) persistent query; runtime state lives in the runner object."""

    query_id: str
    sql: str
    sink: str | None
    sources: tuple[str, ...]
    kind: str  # PERSISTENT or INSERT
    state: str = "RUNNING"
    error: str | None = None
    runner: Any = None
    plan: Any = None  # the logical plan (ksql.plan.logical.SinkNode), for EXPLAIN
    analysis: Any = None  # what the runner was built from
    properties: dict[str, str] = field(default_factory=dict)  # in force when it was created


class Catalog:
    """Name -> object maps for sources, types and queries; names are case-sensitive
    (the parser upper-cases unquoted names)."""

    def __init__(self) -> None:
        self.sources: dict[str, Source] = {}
        self.types: dict[str, SqlType] = {}
        self.queries: dict[str, PersistentQuery] = {}

    # Sources.
    def source(self, name: str) -> Source | None:
        return self.sources.get(name)

    def require_source(self, name: str) -> Source:
        found = self.sources.get(name)
        if found is None:
            raise StatementError(f"{name} does not exist.")
        return found

    def add_source(self, source: Source) -> None:
        self.sources[source.name] = source

    def drop_source(self, name: str) -> Source | None:
        return self.sources.pop(name, None)

    def queries_reading(self, name: str) -> list[PersistentQuery]:
        return [q for q in self.queries.values() if name in q.sources]

    def queries_writing(self, name: str) -> list[PersistentQuery]:
        return [q for q in self.queries.values() if q.sink == name]

    # Types.
    def resolve_type(self, t: SqlType) -> SqlType:
        """Replace custom type references with their definitions, recursively."""
        if isinstance(t, TypeReference):
            found = self.types.get(t.name.upper())
            if found is None:
                raise StatementError(f"Unknown type: {t.name}")
            return found
        if isinstance(t, ArrayType):
            return ArrayType(self.resolve_type(t.element))
        if isinstance(t, MapType):
            return MapType(self.resolve_type(t.key), self.resolve_type(t.value))
        if isinstance(t, StructType):
            return StructType(tuple(StructField(f.name, self.resolve_type(f.type)) for f in t.fields))
        return t
