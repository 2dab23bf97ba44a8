"""Name resolution over the columns of a query's source(s), for the expression compiler."""

from __future__ import annotations

from dataclasses import dataclass

from ksql import ast
from ksql.catalog import Source
from ksql.compiler.scope import ResolvedColumn
from ksql.errors import StatementError
from ksql.types import BIGINT, INTEGER, SqlType, quote_identifier

PSEUDO_TYPES: dict[str, SqlType] = {"ROWTIME": BIGINT, "ROWPARTITION": INTEGER, "ROWOFFSET": BIGINT}
WINDOW_TYPES: dict[str, SqlType] = {"WINDOWSTART": BIGINT, "WINDOWEND": BIGINT}


@dataclass(frozen=True, slots=True)
class ScopeColumn:
    name: str
    type: SqlType
    sql: str


class SourceScope:
    """Columns of one source as they appear in the batch the runtime evaluates over.

    `context` words the error for unknown columns the way ksqlDB does (SELECT, WHERE, ...).
    """

    def __init__(self, source: Source, alias: str | None, context: str = "SELECT") -> None:
        self.source = source
        self.alias = alias or source.name
        self.context = context
        self.columns: dict[str, ScopeColumn] = {}
        for c in source.columns:
            self.columns[c.name] = ScopeColumn(c.name, c.type, quote_identifier(c.name))
        for name, t in PSEUDO_TYPES.items():
            self.columns.setdefault(name, ScopeColumn(name, t, quote_identifier(name)))
        if source.window is not None:
            for name, t in WINDOW_TYPES.items():
                self.columns.setdefault(name, ScopeColumn(name, t, quote_identifier(name)))

    def with_context(self, context: str) -> SourceScope:
        other = object.__new__(SourceScope)
        other.source, other.alias, other.columns = self.source, self.alias, self.columns
        other.context = context
        return other

    def check_qualifier(self, qualifier: str | None) -> None:
        if qualifier is not None and qualifier not in (self.alias, self.source.name):
            raise StatementError(f"'{qualifier}' is not a valid stream/table name or alias.")

    def resolve(self, ref: ast.ColumnRef) -> ResolvedColumn:
        self.check_qualifier(ref.source)
        found = self.columns.get(ref.name)
        if found is None:
            raise StatementError(f"{self.context} column '{ref.name}' cannot be resolved.")
        return ResolvedColumn(found.sql, found.type)
