"""ATTR(col): the value when every record of the group had the same value (null counts as a
value), else null. State: first value, seen flag, mixed flag. Streams only."""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BOOLEAN, SqlType


class Attr(AggregateFunction):
    name = "ATTR"

    def result_type(self) -> SqlType:
        return self.arg_types[0]

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("v", self.arg_types[0]), ("seen", BOOLEAN), ("mixed", BOOLEAN)]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        x = args[0]
        nn = f"count({x}) OVER {window}"
        mixed = (
            f"(coalesce(min({x}) OVER {window} <> max({x}) OVER {window}, false) "
            f"OR ({nn} > 0 AND {nn} < count(*) OVER {window}))"
        )
        return [f"first_value({x}) OVER {window}", "true", mixed]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        seen = f"coalesce({stored[1]}, false)"
        value = f"CASE WHEN {seen} THEN {stored[0]} ELSE {partial[0]} END"
        mixed = (
            f"(coalesce({stored[2]}, false) OR {partial[2]} "
            f"OR ({seen} AND {stored[0]} IS DISTINCT FROM {partial[0]}))"
        )
        return [value, "true", mixed]

    def result_sql(self, state: list[str]) -> str:
        return f"CASE WHEN {state[2]} THEN NULL ELSE {state[0]} END"

    def initialize(self) -> tuple[Any, ...]:
        return (None, False, False)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return self.merge(state, (args[0], True, False))

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        if not first[1]:
            return second
        if not second[1]:
            return first
        return (first[0], True, bool(first[2] or second[2] or first[0] != second[0]))

    def result(self, state: tuple[Any, ...]) -> Any:
        return None if state[2] else state[0]
