"""STDDEV_SAMP, STDDEV_SAMPLE, STDDEV_POP and CORRELATION over running sums; DOUBLE; undoable.

As documented for the reference ksqlDB version, STDDEV_SAMP returns the sample *variance*
(square of the standard deviation); STDDEV_SAMPLE returns the sample standard deviation.
Fewer than two values give 0.0. CORRELATION ignores rows with a null x or y and gives NaN
when undefined (fewer than two points, or a constant column).
"""

from __future__ import annotations

import math
from typing import Any

from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, DOUBLE, SqlType


class _Moments(AggregateFunction):
    supports_undo = True
    sql_undo = True

    def result_type(self) -> SqlType:
        return DOUBLE

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("n", BIGINT), ("s", DOUBLE), ("ss", DOUBLE)]

    def group_sql(self, args: list[str], sign: str) -> list[str]:
        x = f"CAST({args[0]} AS DOUBLE)"
        return [
            f"sum(CASE WHEN {args[0]} IS NULL THEN 0 ELSE {sign} END)",
            f"sum({sign} * {x})",
            f"sum({sign} * {x} * {x})",
        ]

    def combine_sql(self, state: list[str]) -> list[str]:
        return [f"sum({s})" for s in state]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        return [
            f"CAST(coalesce({stored[0]}, 0) + coalesce({partial[0]}, 0) AS BIGINT)",
            f"coalesce({stored[1]}, 0.0) + coalesce({partial[1]}, 0.0)",
            f"coalesce({stored[2]}, 0.0) + coalesce({partial[2]}, 0.0)",
        ]

    def _variance_sql(self, n: str, s: str, ss: str, ddof: int) -> str:
        return f"greatest(({ss} - {s} * {s} / {n}) / ({n} - {ddof}), 0.0)"

    def initialize(self) -> tuple[Any, ...]:
        return (0, 0.0, 0.0)

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        if args[0] is None:
            return state
        x = float(args[0])
        return (state[0] + 1, state[1] + x, state[2] + x * x)

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        if args[0] is None:
            return state
        x = float(args[0])
        return (state[0] - 1, state[1] - x, state[2] - x * x)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(a + b for a, b in zip(first, second))

    def _variance(self, state: tuple[Any, ...], ddof: int) -> float:
        n, s, ss = state
        return max((ss - s * s / n) / (n - ddof), 0.0)


class StddevSamp(_Moments):
    name = "STDDEV_SAMP"

    def result_sql(self, state: list[str]) -> str:
        n, s, ss = state
        return f"CASE WHEN coalesce({n}, 0) < 2 THEN 0.0 ELSE {self._variance_sql(n, s, ss, 1)} END"

    def result(self, state: tuple[Any, ...]) -> Any:
        return 0.0 if state[0] < 2 else self._variance(state, 1)


class StddevSample(_Moments):
    name = "STDDEV_SAMPLE"

    def result_sql(self, state: list[str]) -> str:
        n, s, ss = state
        return f"CASE WHEN coalesce({n}, 0) < 2 THEN 0.0 ELSE sqrt({self._variance_sql(n, s, ss, 1)}) END"

    def result(self, state: tuple[Any, ...]) -> Any:
        return 0.0 if state[0] < 2 else math.sqrt(self._variance(state, 1))


class StddevPop(_Moments):
    name = "STDDEV_POP"

    def result_sql(self, state: list[str]) -> str:
        n, s, ss = state
        return f"CASE WHEN coalesce({n}, 0) < 1 THEN 0.0 ELSE sqrt({self._variance_sql(n, s, ss, 0)}) END"

    def result(self, state: tuple[Any, ...]) -> Any:
        return 0.0 if state[0] < 1 else math.sqrt(self._variance(state, 0))


class Correlation(AggregateFunction):
    name = "CORRELATION"
    supports_undo = True
    sql_undo = True
    _suffixes = ("n", "sx", "sy", "sxx", "syy", "sxy")

    def result_type(self) -> SqlType:
        return DOUBLE

    def state_types(self) -> list[tuple[str, SqlType]]:
        return [("n", BIGINT)] + [(s, DOUBLE) for s in self._suffixes[1:]]

    def group_sql(self, args: list[str], sign: str) -> list[str]:
        both = f"({args[0]} IS NOT NULL AND {args[1]} IS NOT NULL)"
        x, y = f"CAST({args[0]} AS DOUBLE)", f"CAST({args[1]} AS DOUBLE)"
        terms = [x, y, f"{x} * {x}", f"{y} * {y}", f"{x} * {y}"]
        out = [f"sum(CASE WHEN {both} THEN {sign} ELSE 0 END)"]
        out += [f"sum(CASE WHEN {both} THEN {sign} * {t} END)" for t in terms]
        return out

    def combine_sql(self, state: list[str]) -> list[str]:
        return [f"sum({s})" for s in state]

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        out = [f"CAST(coalesce({stored[0]}, 0) + coalesce({partial[0]}, 0) AS BIGINT)"]
        out += [f"coalesce({s}, 0.0) + coalesce({p}, 0.0)" for s, p in zip(stored[1:], partial[1:])]
        return out

    def result_sql(self, state: list[str]) -> str:
        n, sx, sy, sxx, syy, sxy = state
        vx = f"({n} * {sxx} - {sx} * {sx})"
        vy = f"({n} * {syy} - {sy} * {sy})"
        return (
            f"CASE WHEN coalesce({n}, 0) < 2 OR {vx} <= 0 OR {vy} <= 0 THEN 'NaN'::DOUBLE "
            f"ELSE ({n} * {sxy} - {sx} * {sy}) / sqrt({vx} * {vy}) END"
        )

    def initialize(self) -> tuple[Any, ...]:
        return (0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def _delta(self, state: tuple[Any, ...], args: tuple[Any, ...], sign: int) -> tuple[Any, ...]:
        if args[0] is None or args[1] is None:
            return state
        x, y = float(args[0]), float(args[1])
        terms = (1, x, y, x * x, y * y, x * y)
        return tuple(a + sign * t for a, t in zip(state, terms))

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return self._delta(state, args, 1)

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._delta(state, args, -1)

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(a + b for a, b in zip(first, second))

    def result(self, state: tuple[Any, ...]) -> Any:
        n, sx, sy, sxx, syy, sxy = state
        vx, vy = n * sxx - sx * sx, n * syy - sy * sy
        if n < 2 or vx <= 0 or vy <= 0:
            return math.nan
        return (n * sxy - sx * sy) / math.sqrt(vx * vy)
