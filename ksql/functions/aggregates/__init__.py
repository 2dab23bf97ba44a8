"""Registry of aggregate functions: lookup by name and binding of a call to argument types.

`bind(name, args, properties)` takes each call argument as `Arg(type, literal, value)` and
returns a `BoundCall`: the aggregate instance plus the indexes of the arguments the planner must
evaluate into input columns (the others are literal parameters such as TOPK's k).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksql.errors import StatementError
from ksql.functions.aggregates.attr import Attr
from ksql.functions.aggregates.base import AggregateFunction
from ksql.functions.aggregates.collect import CollectList, CollectSet
from ksql.functions.aggregates.count import Count
from ksql.functions.aggregates.count_distinct import CountDistinct
from ksql.functions.aggregates.histogram import Histogram
from ksql.functions.aggregates.min_max import Max, Min
from ksql.functions.aggregates.offset import EarliestByOffset, LatestByOffset
from ksql.functions.aggregates.stats import Correlation, StddevPop, StddevSamp, StddevSample
from ksql.functions.aggregates.sum_avg import Avg, Sum
from ksql.functions.aggregates.topk import TopK, TopKDistinct
from ksql.types import SqlType

__all__ = ["AggregateFunction", "Arg", "BoundCall", "aggregate_registry", "bind"]

_CLASSES: tuple[type[AggregateFunction], ...] = (
    Count, Sum, Avg, Min, Max, CollectList, CollectSet, TopK, TopKDistinct, EarliestByOffset,
    LatestByOffset, Histogram, StddevSamp, StddevSample, StddevPop, Correlation, Attr,
    CountDistinct,
)  # fmt: skip

_NUMERIC = {"INTEGER", "BIGINT", "DOUBLE", "DECIMAL"}
_ORDERED = _NUMERIC | {"STRING", "BYTES", "DATE", "TIME", "TIMESTAMP"}
_TOPK = {"INTEGER", "BIGINT", "DOUBLE", "DECIMAL", "STRING", "DATE", "TIME", "TIMESTAMP"}


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of an aggregate call: its type, and its value when it is a literal."""

    type: SqlType | None
    literal: bool = False
    value: Any = None


@dataclass(frozen=True, slots=True)
class BoundCall:
    function: AggregateFunction
    column_args: tuple[int, ...]  # indexes of call arguments evaluated into input columns


class AggregateRegistry:
    def __init__(self, classes: Sequence[type[AggregateFunction]]) -> None:
        self._by_name = {c.name: c for c in classes}

    def register(self, cls: type[AggregateFunction]) -> None:
        """Add an aggregate class (user aggregates; see python_udaf.py)."""
        self._by_name[cls.name.upper()] = cls

    def lookup(self, name: str) -> type[AggregateFunction] | None:
        return self._by_name.get(name.upper())

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def is_aggregate(self, name: str) -> bool:
        return name.upper() in self._by_name

    def bind(
        self, name: str, args: Sequence[Arg], properties: dict[str, str] | None = None
    ) -> BoundCall:
        cls = self.lookup(name)
        if cls is None:
            raise StatementError(f"Can't find any functions with the name '{name}'")
        bind_call = getattr(cls, "bind_call", None)
        if bind_call is not None:  # user aggregates bind their own overloads
            return bind_call(args, properties)
        columns, params = _split(cls.name, list(args))
        types = tuple(args[i].type for i in columns)
        if any(t is None for t in types) or not _accepts(cls.name, types, params):
            raise StatementError(_signature_error(cls.name, args))
        fn = cls(types, tuple(params), properties)  # type: ignore[arg-type]
        return BoundCall(fn, tuple(columns))

    def check_table_source(self, functions: Sequence[AggregateFunction]) -> None:
        """ksqlDB rejects aggregates without undo over a TABLE source."""
        bad: list[str] = []
        for f in functions:
            if not f.supports_undo and f.name not in bad:
                bad.append(f.name)
        if not bad:
            return
        listed = bad[0] if len(bad) == 1 else ", ".join(bad[:-1]) + " and " + bad[-1]
        noun = "function" if len(bad) == 1 else "functions"
        raise StatementError(
            f"The aggregation {noun} {listed} cannot be applied to a table source, "
            "only to a stream source."
        )


def _split(name: str, args: list[Arg]) -> tuple[list[int], list[Any]]:
    """Which arguments are columns and which are literal parameters, per function."""
    n = len(args)
    if name == "COUNT":
        # COUNT(1) / COUNT('x'): a non-null literal counts every row, like COUNT(*).
        if n == 1 and args[0].literal and args[0].value is not None:
            return [], []
        return list(range(n)), []
    if name in ("TOPK", "TOPKDISTINCT"):
        if n >= 2 and args[-1].literal:
            return list(range(n - 1)), [args[-1].value]
        return list(range(n)), []
    if name in ("EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET") and args:
        literals = [a.value for a in args[1:]] if all(a.literal for a in args[1:]) else None
        if literals is None:
            return list(range(n)), []
        return [0], literals
    return list(range(n)), []


def _accepts(name: str, types: tuple[Any, ...], params: list[Any]) -> bool:
    kinds = [t.name for t in types]
    if name == "COUNT":
        return len(types) <= 1
    if name in ("SUM", "AVG", "STDDEV_SAMP", "STDDEV_SAMPLE", "STDDEV_POP"):
        return len(types) == 1 and kinds[0] in _NUMERIC
    if name == "CORRELATION":
        return len(types) == 2 and all(k in _NUMERIC - {"DECIMAL"} for k in kinds)
    if name in ("MIN", "MAX"):
        return len(types) == 1 and kinds[0] in _ORDERED
    if name == "HISTOGRAM":
        return len(types) == 1 and kinds[0] == "STRING"
    if name == "TOPK":
        return len(types) >= 1 and kinds[0] in _TOPK and len(params) == 1 and _is_int(params[0])
    if name == "TOPKDISTINCT":
        return len(types) == 1 and kinds[0] in _TOPK and len(params) == 1 and _is_int(params[0])
    if name in ("EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET"):
        if len(types) != 1:
            return False
        shapes = [[], ["b"], ["i"], ["i", "b"]]
        shape = ["b" if isinstance(p, bool) else "i" if _is_int(p) else "?" for p in params]
        return shape in shapes and all(p > 0 for p in params if _is_int(p))
    return len(types) == 1


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _signature_error(name: str, args: Sequence[Arg]) -> str:
    shown = ", ".join("null" if a.type is None else str(a.type) for a in args)
    return f"Function '{name}' does not accept parameters ({shown})."


_REGISTRY = AggregateRegistry(_CLASSES)


def aggregate_registry() -> AggregateRegistry:
    return _REGISTRY


def bind(name: str, args: Sequence[Arg], properties: dict[str, str] | None = None) -> BoundCall:
    return _REGISTRY.bind(name, args, properties)
