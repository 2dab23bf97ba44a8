"""EARLIEST_BY_OFFSET / LATEST_BY_OFFSET: (col[, ignoreNulls]) -> value, (col, n[, ignoreNulls]) -> ARRAY.

ignoreNulls defaults to true. Single form state: (value, has) where `has` says a qualifying
record was seen; N form state: the list of kept values. Streams only.
"""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BOOLEAN, ArrayType, SqlType


class _ByOffset(AggregateFunction):
    latest = False

    @property
    def n(self) -> int | None:
        for p in self.params:
            if isinstance(p, int) and not isinstance(p, bool):
                return p
        return None

    @property
    def ignore_nulls(self) -> bool:
        for p in self.params:
            if isinstance(p, bool):
                return p
        return True

    def result_type(self) -> SqlType:
        t = self.arg_types[0]
        return t if self.n is None else ArrayType(t)

    def state_types(self) -> list[tuple[str, SqlType]]:
        t = self.arg_types[0]
        if self.n is None:
            return [("v", t), ("has", BOOLEAN)]
        return [("l", ArrayType(t))]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        x = args[0]
        if self.n is not None:
            flt = f" FILTER (WHERE {x} IS NOT NULL)" if self.ignore_nulls else ""
            return [f"list({x}){flt} OVER {window}"]
        fn = "last_value" if self.latest else "first_value"
        if self.ignore_nulls:
            return [
                f"{fn}({x} IGNORE NULLS) OVER {window}",
                f"bool_or({x} IS NOT NULL) OVER {window}",
            ]
        return [f"{fn}({x}) OVER {window}", "true"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        if self.n is not None:
            both = f"coalesce(list_concat({stored[0]}, {partial[0]}), []::{self.result_type().duckdb()})"
            if self.latest:
                return [f"list_slice({both}, greatest(len({both}) - {self.n} + 1, 1), len({both}))"]
            return [f"list_slice({both}, 1, {self.n})"]
        has = f"(coalesce({stored[1]}, false) OR coalesce({partial[1]}, false))"
        if self.latest:
            value = (
                f"CASE WHEN coalesce({partial[1]}, false) THEN {partial[0]} ELSE {stored[0]} END"
            )
        else:
            value = f"CASE WHEN coalesce({stored[1]}, false) THEN {stored[0]} ELSE {partial[0]} END"
        return [value, has]

    def result_sql(self, state: list[str]) -> str:
        if self.n is not None:
            return f"coalesce({state[0]}, []::{self.result_type().duckdb()})"
        return state[0]

    def initialize(self) -> tuple[Any, ...]:
        return (None, False) if self.n is None else ([],)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        x = args[0]
        if x is None and self.ignore_nulls:
            return state
        return self.merge(state, (x, True) if self.n is None else ([x],))

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.n is not None:
            both = list(first[0] or []) + list(second[0] or [])
            return (both[-self.n :] if self.latest else both[: self.n],) if self.n > 0 else ([],)
        if self.latest:
            return second if second[1] else first
        return first if first[1] else second

    def result(self, state: tuple[Any, ...]) -> Any:
        return state[0] if self.n is None else list(state[0] or [])


class EarliestByOffset(_ByOffset):
    name = "EARLIEST_BY_OFFSET"
    latest = False


class LatestByOffset(_ByOffset):
    name = "LATEST_BY_OFFSET"
    latest = True
