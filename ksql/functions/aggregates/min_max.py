"""MIN / MAX: keep the argument type, ignore nulls; streams only (no undo)."""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import SqlType


class _Extreme(AggregateFunction):
    sql_fn = "min"

    def pick(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def result_type(self) -> SqlType:
        return self.arg_types[0]

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("v", self.arg_types[0])]

    def group_sql(self, args: list[str], sign: str) -> list[str]:
        return [f"{self.sql_fn}({args[0]})"]

    def combine_sql(self, state: list[str]) -> list[str]:
        return [f"{self.sql_fn}({state[0]})"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        s, p = stored[0], partial[0]
        fn = "least" if self.sql_fn == "min" else "greatest"
        return [f"CASE WHEN {s} IS NULL THEN {p} WHEN {p} IS NULL THEN {s} ELSE {fn}({s}, {p}) END"]

    def result_sql(self, state: list[str]) -> str:
        return state[0]

    def initialize(self) -> tuple[Any, ...]:
        return (None,)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        x = args[0]
        if x is None:
            return state
        return (x if state[0] is None else self.pick(state[0], x),)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return self.add(first, (second[0],), 0)

    def result(self, state: tuple[Any, ...]) -> Any:
        return state[0]


class Min(_Extreme):
    name = "MIN"
    sql_fn = "min"

    def pick(self, a: Any, b: Any) -> Any:
        return min(a, b)


class Max(_Extreme):
    name = "MAX"
    sql_fn = "max"

    def pick(self, a: Any, b: Any) -> Any:
        return max(a, b)
