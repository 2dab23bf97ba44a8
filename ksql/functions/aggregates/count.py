"""COUNT(*) / COUNT(col): rows, or rows where col is not null; BIGINT; undoable."""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, SqlType


class Count(AggregateFunction):
    name = "COUNT"
    supports_undo = True
    sql_undo = True

    def result_type(self) -> SqlType:
        return BIGINT

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("n", BIGINT)]

    def group_sql(self, args: list[str], sign: str) -> list[str]:
        if not args:
            return [f"sum({sign})"]
        return [f"sum(CASE WHEN {args[0]} IS NULL THEN 0 ELSE {sign} END)"]

    def combine_sql(self, state: list[str]) -> list[str]:
        return [f"sum({state[0]})"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        return [f"CAST(coalesce({stored[0]}, 0) + coalesce({partial[0]}, 0) AS BIGINT)"]

    def result_sql(self, state: list[str]) -> str:
        return f"coalesce({state[0]}, 0)"

    def initialize(self) -> tuple[Any, ...]:
        return (0,)

    def _counts(self, args: tuple[Any, ...]) -> bool:
        return not args or args[0] is not None

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return (state[0] + 1,) if self._counts(args) else state

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        return (state[0] - 1,) if self._counts(args) else state

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return (first[0] + second[0],)

    def result(self, state: tuple[Any, ...]) -> Any:
        return state[0]
