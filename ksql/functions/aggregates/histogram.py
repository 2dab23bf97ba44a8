"""HISTOGRAM(col STRING) -> MAP<STRING, BIGINT>: occurrences per distinct non-null value.

At most 1000 distinct values are counted (later new values are ignored; enforced in the Python
form, approximated in SQL by keeping the first 1000 keys). Undo decrements (Python form).
"""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, STRING, MapType, SqlType

LIMIT = 1000


class Histogram(AggregateFunction):
    name = "HISTOGRAM"
    supports_undo = True

    def result_type(self) -> SqlType:
        return MapType(STRING, BIGINT)

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("m", MapType(STRING, BIGINT))]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        return [f"histogram({args[0]}) OVER {window}"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        s, p = stored[0], partial[0]
        keys = f"list_slice(list_distinct(list_concat(map_keys({s}), map_keys({p}))), 1, {LIMIT})"
        entries = (
            f"list_transform({keys}, lambda k: struct_pack(key := k, "
            f"value := CAST(coalesce({s}[k], 0) + coalesce({p}[k], 0) AS BIGINT)))"
        )
        merged = (
            f"CASE WHEN {s} IS NULL THEN {p} WHEN {p} IS NULL THEN {s} "
            f"ELSE map_from_entries({entries}) END"
        )
        return [merged]

    def result_sql(self, state: list[str]) -> str:
        return f"coalesce({state[0]}, MAP {{}}::MAP(VARCHAR, BIGINT))"

    # Python state: a list of (key, count) pairs, the Arrow form of a map.
    def initialize(self) -> tuple[Any, ...]:
        return ([],)

    def _bump(self, state: tuple[Any, ...], key: Any, delta: int) -> tuple[Any, ...]:
        counts = dict(state[0] or [])
        if key is None:
            return state
        if key in counts:
            counts[key] += delta
            if counts[key] <= 0:
                del counts[key]
        elif delta > 0 and len(counts) < LIMIT:
            counts[key] = delta
        return (list(counts.items()),)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return self._bump(state, args[0], 1)

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._bump(state, args[0], -1)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        state = (list(first[0] or []),)
        for key, count in second[0] or []:
            state = self._bump(state, key, count)
        return state

    def result(self, state: tuple[Any, ...]) -> Any:
        return list(state[0] or [])
