"""Aggregate registry binding/errors, and agreement of each aggregate's SQL and Python forms."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from ksql.errors import StatementError
from ksql.functions.aggregates import Arg, aggregate_registry, bind
from ksql.runtime.aggregate import AggregateOperator, AggregateSpec
from ksql.storage.state import StateStore
from ksql.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, ArrayType, DecimalType, MapType


def test_registry_lookup_and_names() -> None:
    reg = aggregate_registry()
    assert reg.lookup("count") is not None and reg.lookup("nope") is None
    assert {"COUNT", "SUM", "TOPK", "LATEST_BY_OFFSET", "HISTOGRAM", "CORRELATION"} <= set(
        reg.names()
    )


def test_result_types() -> None:
    assert bind("SUM", [Arg(INTEGER)]).function.result_type() == INTEGER
    assert bind("SUM", [Arg(DecimalType(6, 2))]).function.result_type() == DecimalType(6, 2)
    assert bind("AVG", [Arg(BIGINT)]).function.result_type() == DOUBLE
    assert bind("COUNT", [Arg(INTEGER, True, 1)]).column_args == ()
    assert bind("HISTOGRAM", [Arg(STRING)]).function.result_type() == MapType(STRING, BIGINT)
    assert bind(
        "EARLIEST_BY_OFFSET", [Arg(INTEGER), Arg(INTEGER, True, 2)]
    ).function.result_type() == ArrayType(INTEGER)
    call = bind("TOPK", [Arg(INTEGER), Arg(STRING), Arg(INTEGER, True, 3)])
    assert call.column_args == (0, 1)
    assert str(call.function.result_type()) == "ARRAY<STRUCT<`sort_col` INTEGER, `col0` STRING>>"


def test_bad_arguments() -> None:
    with pytest.raises(
        StatementError, match=r"Function 'SUM' does not accept parameters \(STRING\)"
    ):
        bind("sum", [Arg(STRING)])
    with pytest.raises(StatementError):
        bind("TOPK", [Arg(INTEGER), Arg(INTEGER)])  # k must be a literal
    with pytest.raises(StatementError):
        bind("LATEST_BY_OFFSET", [Arg(INTEGER), Arg(STRING, True, "x")])
    with pytest.raises(StatementError, match="Can't find any functions"):
        bind("NOPE", [])


def test_table_source_message() -> None:
    reg = aggregate_registry()
    fns = [bind("LATEST_BY_OFFSET", [Arg(INTEGER)]).function, bind("MIN", [Arg(BIGINT)]).function,
           bind("MAX", [Arg(BIGINT)]).function, bind("COUNT", []).function]  # fmt: skip
    with pytest.raises(StatementError) as e:
        reg.check_table_source(fns)
    assert str(e.value) == (
        "The aggregation functions LATEST_BY_OFFSET, MIN and MAX cannot be applied to a table "
        "source, only to a stream source."
    )
    reg.check_table_source([bind("SUM", [Arg(INTEGER)]).function])


# --- SQL form == Python form ----------------------------------------------------------------

rnd = random.Random(7)


def _ints(n: int) -> list[Any]:
    return [None if rnd.random() < 0.2 else rnd.randint(-5, 5) for _ in range(n)]


CASES: list[tuple[str, list[Arg], Any]] = [
    ("COUNT", [], None),
    ("COUNT", [Arg(INTEGER)], _ints),
    ("SUM", [Arg(INTEGER)], _ints),
    (
        "SUM",
        [Arg(DecimalType(6, 2))],
        lambda n: [None if v is None else Decimal(v) / 4 for v in _ints(n)],
    ),
    ("AVG", [Arg(INTEGER)], _ints),
    ("MIN", [Arg(INTEGER)], _ints),
    ("MAX", [Arg(STRING)], lambda n: [None if v is None else str(v) for v in _ints(n)]),
    ("COLLECT_LIST", [Arg(INTEGER)], _ints),
    ("COLLECT_SET", [Arg(INTEGER)], _ints),
    ("TOPK", [Arg(INTEGER), Arg(INTEGER, True, 3)], _ints),
    ("TOPKDISTINCT", [Arg(INTEGER), Arg(INTEGER, True, 2)], _ints),
    ("EARLIEST_BY_OFFSET", [Arg(INTEGER)], _ints),
    ("EARLIEST_BY_OFFSET", [Arg(INTEGER), Arg(BOOLEAN, True, False)], _ints),
    ("EARLIEST_BY_OFFSET", [Arg(INTEGER), Arg(INTEGER, True, 3)], _ints),
    ("LATEST_BY_OFFSET", [Arg(INTEGER)], _ints),
    ("LATEST_BY_OFFSET", [Arg(INTEGER), Arg(INTEGER, True, 2), Arg(BOOLEAN, True, False)], _ints),
    ("HISTOGRAM", [Arg(STRING)], lambda n: [None if v is None else str(v % 3) for v in _ints(n)]),
    ("STDDEV_SAMP", [Arg(INTEGER)], _ints),
    ("STDDEV_SAMPLE", [Arg(DOUBLE)], lambda n: [None if v is None else v / 3 for v in _ints(n)]),
    ("STDDEV_POP", [Arg(INTEGER)], _ints),
    ("ATTR", [Arg(INTEGER)], lambda n: [rnd.choice([1, 1, 1, None]) for _ in range(n)]),
    ("COUNT_DISTINCT", [Arg(INTEGER)], _ints),
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        try:
            return sorted(a) == sorted(b) if a and isinstance(a[0], tuple) else a == b
        except TypeError:
            return a == b
    return a == b


@pytest.mark.parametrize("name,args,gen", CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(CASES)])
def test_sql_and_python_forms_agree(name: str, args: list[Arg], gen: Any) -> None:
    n = 40
    call = bind(name, args)
    fn = call.function
    cols = tuple(f"A0_{j}" for j in range(len(call.column_args)))
    keys = [rnd.randint(0, 2) for _ in range(n)]
    values = gen(n) if gen else []
    data: dict[str, Any] = {
        "K0": pa.array(keys, pa.int64()),
        "ROWTIME": pa.array(range(n), pa.int64()),
    }
    for j, c in enumerate(cols):
        data[c] = pa.array(values, fn.arg_types[j].arrow())
    op = AggregateOperator(
        [("K0", BIGINT)], [AggregateSpec(fn, cols, "OUT")], StateStore(":memory:", "t")
    )
    half = n // 2
    table = pa.table(data)
    out = (
        op.process(table.slice(0, half)).to_pylist()
        + op.process(table.slice(half)).to_pylist()
    )
    states: dict[int, tuple[Any, ...]] = {}
    for i, k in enumerate(keys):
        state = states.get(k, fn.initialize())
        state = fn.add(state, tuple(values[i] for _ in cols), i)
        states[k] = state
        assert _same(out[i]["OUT"], fn.result(state)), (i, out[i]["OUT"], fn.result(state))


def test_python_undo_and_merge() -> None:
    fn = bind("COLLECT_LIST", [Arg(INTEGER)]).function
    s = fn.add(fn.add(fn.initialize(), (1,), 0), (2,), 1)
    assert fn.result(fn.undo(s, (1,))) == [2]
    h = bind("HISTOGRAM", [Arg(STRING)]).function
    s = h.add(h.add(h.initialize(), ("a",), 0), ("a",), 1)
    assert dict(h.result(h.undo(s, ("a",)))) == {"a": 1}
    assert dict(h.result(h.merge(s, s))) == {"a": 4}
    lat = bind("LATEST_BY_OFFSET", [Arg(INTEGER)]).function
    assert (
        lat.result(
            lat.merge(lat.add(lat.initialize(), (1,), 0), lat.add(lat.initialize(), (None,), 1))
        )
        == 1
    )
