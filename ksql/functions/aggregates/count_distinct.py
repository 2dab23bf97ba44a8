"""COUNT_DISTINCT(col) -> BIGINT: exact number of distinct non-null values (ksqlDB estimates
with HyperLogLog; exact counts are within its error). State: the distinct values. Streams only."""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, ArrayType, SqlType


class CountDistinct(AggregateFunction):
    name = "COUNT_DISTINCT"

    def result_type(self) -> SqlType:
        return BIGINT

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("l", ArrayType(self.arg_types[0]))]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        return [f"list(DISTINCT {args[0]}) FILTER (WHERE {args[0]} IS NOT NULL) OVER {window}"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        return [f"list_distinct(list_concat({stored[0]}, {partial[0]}))"]

    def result_sql(self, state: list[str]) -> str:
        return f"CAST(coalesce(len({state[0]}), 0) AS BIGINT)"

    def initialize(self) -> tuple[Any, ...]:
        return ([],)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        values = list(state[0] or [])
        if args[0] is not None and args[0] not in values:
            values.append(args[0])
        return (values,)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        state = (list(first[0] or []),)
        for v in second[0] or []:
            state = self.add(state, (v,), 0)
        return state

    def result(self, state: tuple[Any, ...]) -> Any:
        return len(state[0] or [])
