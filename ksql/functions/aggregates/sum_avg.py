"""SUM (keeps INT/BIGINT/DOUBLE/DECIMAL type, nulls ignored, starts at 0) and AVG (DOUBLE)."""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, DOUBLE, SqlType


class Sum(AggregateFunction):
    name = "SUM"
    supports_undo = True
    sql_undo = True

    def result_type(self) -> SqlType:
        return self.arg_types[0]

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("sum", self.arg_types[0])]

    def group_sql(self, args: list[str], sign: str) -> list[str]:
        return [f"sum({sign} * {args[0]})"]

    def combine_sql(self, state: list[str]) -> list[str]:
        return [f"sum({state[0]})"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        t = self.arg_types[0].duckdb()
        return [f"CAST(coalesce({stored[0]}, 0) + coalesce({partial[0]}, 0) AS {t})"]

    def result_sql(self, state: list[str]) -> str:
        return f"coalesce({state[0]}, CAST(0 AS {self.arg_types[0].duckdb()}))"

    def initialize(self) -> tuple[Any, ...]:
        return (0,)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return state if args[0] is None else ((state[0] or 0) + args[0],)

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        return state if args[0] is None else ((state[0] or 0) - args[0],)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return ((first[0] or 0) + (second[0] or 0),)

    def result(self, state: tuple[Any, ...]) -> Any:
        return state[0] if state[0] is not None else 0


class Avg(AggregateFunction):
    """Average as DOUBLE; 0.0 while no non-null value was seen (ksqlDB's AverageUdaf)."""

    name = "AVG"
    supports_undo = True
    sql_undo = True

    def result_type(self) -> SqlType:
        return DOUBLE

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("sum", DOUBLE), ("n", BIGINT)]

    def group_sql(self, args: list[str], sign: str) -> list[str]:
        x = args[0]
        return [
            f"sum({sign} * CAST({x} AS DOUBLE))",
            f"sum(CASE WHEN {x} IS NULL THEN 0 ELSE {sign} END)",
        ]

    def combine_sql(self, state: list[str]) -> list[str]:
        return [f"sum({state[0]})", f"sum({state[1]})"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        return [
            f"coalesce({stored[0]}, 0.0) + coalesce({partial[0]}, 0.0)",
            f"CAST(coalesce({stored[1]}, 0) + coalesce({partial[1]}, 0) AS BIGINT)",
        ]

    def result_sql(self, state: list[str]) -> str:
        return f"CASE WHEN coalesce({state[1]}, 0) = 0 THEN 0.0 ELSE {state[0]} / {state[1]} END"

    def initialize(self) -> tuple[Any, ...]:
        return (0.0, 0)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return state if args[0] is None else (state[0] + float(args[0]), state[1] + 1)

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        return state if args[0] is None else (state[0] - float(args[0]), state[1] - 1)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return (first[0] + second[0], first[1] + second[1])

    def result(self, state: tuple[Any, ...]) -> Any:
        return 0.0 if not state[1] else state[0] / state[1]
