"""The shell's one view of a ksql engine: embedded or REST, both speak ksqlDB's entity JSON."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ksql.prepare import PreparedStatement


def version() -> str:
    """This shell's version (the installed ksql package's)."""
    try:
        return importlib.metadata.version("ksql")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


class BackendError(Exception):
    """A statement or request that failed; `message` is what the user reads."""

    def __init__(
        self,
        message: str,
        *,
        statement_text: str | None = None,
        line: int | None = None,
        column: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.statement_text = statement_text
        self.line = line
        self.column = column
        self.entities = entities or []


@dataclass(frozen=True, slots=True)
class Header:
    """The first event of a query: its id and output columns as (name, type) pairs."""

    query_id: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Row:
    values: list[Any]
    tombstone: bool = False


@dataclass(frozen=True, slots=True)
class Final:
    """The server ended the query itself, e.g. "Limit Reached"."""

    message: str


@dataclass(frozen=True, slots=True)
class Text:
    """A line of PRINT output, already formatted."""

    line: str


Event = Header | Row | Final | Text


class QueryStream(Protocol):
    """A running SELECT or PRINT: events() yields as results arrive; cancel() may come from
    another thread and makes events() end soon."""

    def events(self) -> Iterator[Event]: ...

    def cancel(self) -> None: ...


@dataclass(slots=True)
class Names:
    """What tab completion offers beyond keywords."""

    sources: dict[str, str] = field(default_factory=dict)  # name -> STREAM | TABLE
    columns: dict[str, list[str]] = field(default_factory=dict)  # source -> column names
    functions: list[str] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


class Backend(Protocol):
    """Embedded engine or REST server; statements are ksqlDB SQL, answers are KsqlEntity dicts."""

    location: str  # the server URL, or the data directory

    def info(self) -> dict[str, Any]:
        """The /info payload: version, serverStatus, ..."""
        ...

    def execute(
        self,
        sql: str,
        properties: dict[str, str],
        variables: dict[str, str],
        prepared: list[PreparedStatement] | None = None,
    ) -> list[dict[str, Any]]:
        """Run non-query statements; one entity per statement that returns one. `prepared`
        are the statements of `sql` the shell parsed already: a backend running them in this
        process uses them instead of parsing again."""
        ...

    def query(
        self,
        sql: str,
        properties: dict[str, str],
        variables: dict[str, str],
        prepared: PreparedStatement | None = None,
    ) -> QueryStream:
        """Start one SELECT or PRINT (`prepared` as for execute)."""
        ...

    def names(self) -> Names:
        """Sources, columns, functions and properties for completion."""
        ...

    def close(self) -> None: ...
