"""The test-only functions of ksqlDB's test jar, as Python plugins (ksql/udf.py).

ksqlDB's query-validation cases call functions that exist only in its test code (TEST_UDF,
TEST_UDAF, VAR_ARG, TEST_UDTF, BAD_UDF, ...). The conformance runner registers these
re-implementations, written from what the cases show of their behaviour, through the same public
API a user has. `register()` is idempotent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ksql import udf

_registered = False


def _java_text(value: Any) -> str:
    """Java's String.valueOf for the values a UDF receives (Connect structs included)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        fields = ",".join(f"{k}={_java_text(v)}" for k, v in value.items() if v is not None)
        return f"Struct{{{fields}}}"
    return str(value)


def _primitive(value: Any) -> Any:
    """A Java primitive parameter: a null argument fails the call."""
    if value is None:
        raise TypeError("null passed to a primitive parameter")
    return value


def _length(value: str | None) -> int:
    return 0 if value is None else len(value)


def _scalars() -> None:
    udf.scalar("TEST_UDF", params=["INTEGER", "STRING"], returns="STRING")(
        lambda i, s: "doStuffIntString"
    )
    udf.scalar("TEST_UDF", params=["BIGINT", "STRING"], returns="STRING")(
        lambda i, s: "doStuffLongString"
    )
    udf.scalar("TEST_UDF", params=["BIGINT..."], returns="STRING")(
        lambda *longs: "doStuffLongVarargs"
    )
    udf.scalar("TEST_UDF", params=["STRUCT<A STRING>"], returns="STRING")(
        lambda s: None if s is None else s["A"]
    )
    udf.scalar("TEST_UDF", params=[], returns="STRUCT<A STRING>")(lambda: {"A": "foo"})
    udf.scalar("TOSTRUCT", params=["STRING"], returns="STRUCT<A STRING>")(lambda s: {"A": s})

    def blow_up(value: Any) -> int:
        raise RuntimeError("boom!")

    def might_throw(should_throw: bool) -> int:
        if should_throw:
            raise RuntimeError("You asked me to throw...")
        return 0

    udf.scalar("BAD_UDF", params=["INTEGER"], returns="INTEGER")(blow_up)
    udf.scalar("BAD_UDF", params=["BOOLEAN"], returns="INTEGER")(might_throw)

    # CASE laziness probes: they fail when evaluated for a row that should not evaluate them.
    def when(value: Any, should_evaluate: bool) -> Any:
        if not should_evaluate:
            raise RuntimeError("should not have been evaluated")
        return value

    udf.scalar(
        "WHENCONDITION", params=["BOOLEAN", "BOOLEAN"], returns="BOOLEAN", deterministic=False
    )(when)
    udf.scalar("WHENRESULT", params=["INTEGER", "BOOLEAN"], returns="INTEGER", deterministic=False)(
        when
    )


def _table_functions() -> None:
    udf.table(
        "TEST_UDTF",
        params=["INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "STRING", "DECIMAL", "STRUCT<A STRING>"],
        returns="STRING",
    )(lambda *values: [_java_text(v) for v in values])
    for t in ("INTEGER", "BIGINT", "DOUBLE", "BOOLEAN"):
        udf.table("TEST_UDTF", params=[t], returns=t)(lambda v: [_primitive(v)])
    udf.table("TEST_UDTF", params=["STRING"], returns="STRING")(lambda v: [v])
    udf.table("TEST_UDTF", params=["DECIMAL"], returns=lambda types: types[0])(lambda v: [v])
    udf.table("TEST_UDTF", params=["STRUCT<A STRING>"], returns="STRUCT<A STRING>")(lambda v: [v])

    def throwing(should_throw: bool) -> list[bool]:
        if should_throw:
            raise RuntimeError("You asked me to throw...")
        return [should_throw]

    udf.table("THROWING_UDTF", params=["BOOLEAN"], returns="BOOLEAN")(throwing)


class _Sum:
    """Sums numbers (nulls count as nothing); TABLE sources retract with undo."""

    def initialize(self) -> Any:
        return 0

    def add(self, total: Any, value: Any) -> Any:
        return total if value is None else total + value

    def undo(self, total: Any, value: Any) -> Any:
        return total if value is None else total - value


class _SumStruct:
    """Field-wise sums of STRUCT<A INT, B INT>."""

    def initialize(self) -> dict[str, int]:
        return {"A": 0, "B": 0}

    def add(self, total: dict[str, int], value: dict[str, Any] | None) -> dict[str, int]:
        if value is None:
            return total
        return {f: (total[f] or 0) + (value.get(f) or 0) for f in ("A", "B")}


class _SumLengths:
    """The first argument (null: 0) plus the lengths of the variadic strings, from `start`."""

    def __init__(self, *init: Any) -> None:
        self.start = sum(v if isinstance(v, int) else _length(v) for v in init)

    def initialize(self) -> int:
        return self.start

    def add(self, total: int, first: Any, *rest: Any) -> int:
        numbers = [v for v in (first, *rest) if isinstance(v, int) and not isinstance(v, bool)]
        texts = [v for v in rest if isinstance(v, str)]
        return total + sum(numbers) + sum(len(t) for t in texts)


class _CollectFirstWhenAllSet:
    """Collects the first argument of the rows where no argument is null."""

    def initialize(self) -> list[Any]:
        return []

    def add(self, values: list[Any], first: Any, *rest: Any) -> list[Any]:
        if first is None or any(v is None for v in rest):
            return values
        return [*values, first]


class _SumList:
    """Sums the elements of each array (nulls skipped)."""

    def initialize(self) -> Any:
        return 0

    def add(self, total: Any, values: list[Any] | None) -> Any:
        return total + sum(v for v in values or [] if v is not None)


def _aggregates() -> None:
    udf.aggregate("TEST_UDAF", params=["BIGINT"], returns="BIGINT")(_Sum)
    udf.aggregate("TEST_UDAF", params=["INTEGER"], returns="BIGINT")(_Sum)
    udf.aggregate("TEST_UDAF", params=["DOUBLE"], returns="DOUBLE")(_Sum)
    struct = "STRUCT<A INTEGER, B INTEGER>"
    udf.aggregate("TEST_UDAF", params=[struct], returns=struct)(_SumStruct)
    udf.aggregate("VAR_ARG", params=["BIGINT", "STRING..."], returns="BIGINT")(_SumLengths)
    udf.aggregate(
        "MID_VAR_ARG",
        params=["BIGINT", "STRING..."],
        init_params=["INTEGER", "INTEGER"],
        returns="BIGINT",
    )(_SumLengths)
    init = ["INTEGER", "STRING", "STRING", "STRING"]
    udf.aggregate("MULTI_ARG", params=["BIGINT", "STRING"], init_params=init, returns="BIGINT")(
        _SumLengths
    )
    udf.aggregate(
        "FIVE_ARG",
        params=["BIGINT", "STRING", "STRING", "STRING", "INTEGER"],
        init_params=init,
        returns="BIGINT",
    )(_SumLengths)
    udf.aggregate("GENERIC_VAR_ARG", params=["T", "INTEGER", "U..."], returns="ARRAY<T>")(
        _CollectFirstWhenAllSet
    )
    udf.aggregate("OBJ_COL_ARG", params=["INTEGER", "ANY..."], returns="ARRAY<INTEGER>")(
        _CollectFirstWhenAllSet
    )
    for t in ("INTEGER", "BIGINT", "DOUBLE"):
        udf.aggregate("SUM_LIST", params=[f"ARRAY<{t}>"], returns=t)(_SumList)


def register() -> None:
    """Register every test function once per process."""
    global _registered
    if _registered:
        return
    _registered = True
    _scalars()
    _table_functions()
    _aggregates()
