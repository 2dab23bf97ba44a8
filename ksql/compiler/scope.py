"""Name resolution seen by the expression compiler: a column name -> its SQL and type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ksql import ast
from ksql.errors import StatementError
from ksql.types import SqlType


@dataclass(frozen=True, slots=True)
class ResolvedColumn:
    """How to read a column in the compiled SQL, and its ksql type."""

    sql: str
    type: SqlType


class Scope(Protocol):
    def resolve(self, ref: ast.ColumnRef) -> ResolvedColumn: ...


class MapScope:
    """A fixed set of names (literal-only contexts, aggregated rows, lambda bodies)."""

    def __init__(self, names: dict[str, ResolvedColumn], context: str = "SELECT") -> None:
        self.names = names
        self.context = context

    def resolve(self, ref: ast.ColumnRef) -> ResolvedColumn:
        found = self.names.get(ref.name)
        if found is None:
            raise StatementError(f"{self.context} column '{ref.name}' cannot be resolved.")
        return found


class LambdaScope:
    """Lambda parameters first, then the enclosing scope."""

    def __init__(self, params: dict[str, ResolvedColumn], outer: Scope) -> None:
        self.params = params
        self.outer = outer

    def resolve(self, ref: ast.ColumnRef) -> ResolvedColumn:
        if ref.source is None and ref.name in self.params:
            return self.params[ref.name]
        return self.outer.resolve(ref)
