"""TOPK(col, [otherCols...,] k) and TOPKDISTINCT(col, k): the k largest values, descending.

Nulls in col are ignored. TOPK keeps ties in arrival order: each state element carries the
negated row ordinal, so a descending sort of (value, -ordinal) is stable. With other columns the
result is an array of STRUCT<sort_col, col0, col1, ...>. The SQL form collects the batch prefix
per row (quadratic in the rows of one group within one batch); streams only.
"""

from __future__ import annotations

from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, ArrayType, SqlType, StructField, StructType, quote_identifier


class TopK(AggregateFunction):
    name = "TOPK"

    @property
    def k(self) -> int:
        return int(self.params[0])

    def _element(self) -> StructType:
        fields = [StructField("s", self.arg_types[0]), StructField("o", BIGINT)]
        fields += [StructField(f"col{i}", t) for i, t in enumerate(self.arg_types[1:])]
        return StructType(tuple(fields))

    def result_type(self) -> SqlType:
        if len(self.arg_types) == 1:
            return ArrayType(self.arg_types[0])
        fields = [StructField("sort_col", self.arg_types[0])]
        fields += [StructField(f"col{i}", t) for i, t in enumerate(self.arg_types[1:])]
        return ArrayType(StructType(tuple(fields)))

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("l", ArrayType(self._element()))]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        parts = [f"s := {args[0]}", f"o := -({ordinal})"]
        parts += [f"col{i} := {a}" for i, a in enumerate(args[1:])]
        element = f"struct_pack({', '.join(parts)})"
        return [f"list({element}) FILTER (WHERE {args[0]} IS NOT NULL) OVER {window}"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        both = f"list_concat({stored[0]}, {partial[0]})"
        return [f"list_slice(list_sort({both}, 'DESC'), 1, {self.k})"]

    def result_sql(self, state: list[str]) -> str:
        rtype = self.result_type().duckdb()
        if len(self.arg_types) == 1:
            body = "e.s"
        else:
            parts = ["sort_col := e.s"] + [
                f"{quote_identifier(f'col{i}')} := e.col{i}" for i in range(len(self.arg_types) - 1)
            ]
            body = f"struct_pack({', '.join(parts)})"
        return f"CAST(coalesce(list_transform({state[0]}, lambda e: {body}), []) AS {rtype})"

    def initialize(self) -> tuple[Any, ...]:
        return ([],)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        if args[0] is None:
            return state
        element = {"s": args[0], "o": -ordinal}
        element.update({f"col{i}": a for i, a in enumerate(args[1:])})
        return (self._top(list(state[0] or []) + [element]),)

    def _top(self, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(elements, key=lambda e: (e["s"], e["o"]), reverse=True)[: self.k]

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return (self._top(list(first[0] or []) + list(second[0] or [])),)

    def result(self, state: tuple[Any, ...]) -> Any:
        if len(self.arg_types) == 1:
            return [e["s"] for e in state[0] or []]
        out = []
        for e in state[0] or []:
            item = {"sort_col": e["s"]}
            item.update({f"col{i}": e[f"col{i}"] for i in range(len(self.arg_types) - 1)})
            out.append(item)
        return out


class TopKDistinct(AggregateFunction):
    name = "TOPKDISTINCT"

    @property
    def k(self) -> int:
        return int(self.params[0])

    def result_type(self) -> SqlType:
        return ArrayType(self.arg_types[0])

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("l", ArrayType(self.arg_types[0]))]

    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        return [f"list({args[0]}) FILTER (WHERE {args[0]} IS NOT NULL) OVER {window}"]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        both = f"list_concat({stored[0]}, {partial[0]})"
        return [f"list_slice(list_sort(list_distinct({both}), 'DESC'), 1, {self.k})"]

    def result_sql(self, state: list[str]) -> str:
        return f"coalesce({state[0]}, []::{self.result_type().duckdb()})"

    def initialize(self) -> tuple[Any, ...]:
        return ([],)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        if args[0] is None:
            return state
        return (sorted(set(state[0] or []) | {args[0]}, reverse=True)[: self.k],)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return (sorted(set(first[0] or []) | set(second[0] or []), reverse=True)[: self.k],)

    def result(self, state: tuple[Any, ...]) -> Any:
        return list(state[0] or [])
