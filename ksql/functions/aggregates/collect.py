"""COLLECT_LIST (keeps nulls and duplicates) and COLLECT_SET (distinct, first-seen order).

Both cap at `ksql.functions.collect_{list,set}.limit` (default 1000); later values are ignored.
Undo (table retraction) removes one occurrence and runs through the Python form.
"""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import ArrayType, MapType, SqlType


def _canonical(value: Any) -> Any:
    """A map value (Arrow gives entry lists or dicts) compared regardless of entry order."""
    if isinstance(value, dict):
        return tuple(sorted(value.items(), key=repr))
    if isinstance(value, list) and value and all(isinstance(e, tuple) for e in value):
        return tuple(sorted(value, key=repr))
    return value


class CollectList(AggregateFunction):
    name = "COLLECT_LIST"
    supports_undo = True
    limit_key = "ksql.functions.collect_list.limit"

    @property
    def limit(self) -> int:
        return self.limit_property(self.limit_key)

    def result_type(self) -> SqlType:
        return ArrayType(self.arg_types[0])

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("l", ArrayType(self.arg_types[0]))]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        return [f"list({args[0]}) OVER {window}"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        return [f"list_slice(list_concat({stored[0]}, {partial[0]}), 1, {self.limit})"]

    def result_sql(self, state: list[str]) -> str:
        return f"coalesce({state[0]}, []::{self.result_type().duckdb()})"

    def initialize(self) -> tuple[Any, ...]:
        return ([],)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        values = list(state[0] or [])
        if len(values) < self.limit:
            values.append(args[0])
        return (values,)

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(state[0] or [])
        if args[0] in values:
            values.remove(args[0])
        return (values,)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return ((list(first[0] or []) + list(second[0] or []))[: self.limit],)

    def result(self, state: tuple[Any, ...]) -> Any:
        return list(state[0] or [])


class CollectSet(CollectList):
    name = "COLLECT_SET"
    limit_key = "ksql.functions.collect_set.limit"

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        both = f"list_concat({stored[0]}, {partial[0]})"
        if isinstance(self.arg_types[0], MapType):
            # Maps are equal whatever their entry order: compare them with sorted entries.
            def canon(v: str) -> str:
                return f"map_from_entries(list_sort(map_entries({v})))"

            keyed = f"list_transform({both}, lambda v: {canon('v')})"
            test = f"list_position({keyed}, {canon('v')}) = i"
        else:
            test = f"list_position({both}, v) = i"
        distinct = f"list_filter({both}, lambda v, i: {test})"
        return [f"list_slice({distinct}, 1, {self.limit})"]

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        values = list(state[0] or [])
        seen = [_canonical(v) for v in values]
        if _canonical(args[0]) not in seen and len(values) < self.limit:
            values.append(args[0])
        return (values,)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        state = (list(first[0] or []),)
        for v in second[0] or []:
            state = self.add(state, (v,), 0)
        return state
