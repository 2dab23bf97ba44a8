"""AggregateOperator against hand-translated conformance cases, across batch splits and restarts."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pyarrow as pa
import pytest

from ksql.functions.aggregates import Arg, bind
from ksql.runtime.aggregate import AggregateOperator, AggregateSpec
from ksql.runtime.windows import WindowSpec
from ksql.storage.state import StateStore, close_database
from ksql.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, SqlType

_names = itertools.count()


def make_op(
    key_type: SqlType,
    aggs: list[tuple[str, list[Arg], str]],
    window: WindowSpec | None = None,
    emit_final: bool = False,
    props: dict[str, str] | None = None,
    path: str = ":memory:",
    name: str | None = None,
) -> AggregateOperator:
    specs = []
    for i, (fname, args, out) in enumerate(aggs):
        bound = bind(fname, args, props)
        cols = tuple(f"A{i}_{j}" for j in range(len(bound.column_args)))
        specs.append(AggregateSpec(bound.function, cols, out))
    store = StateStore(path, name or f"op{next(_names)}")
    return AggregateOperator([("K0", key_type)], specs, store, window, emit_final, props)


def batch_of(op: AggregateOperator, rows: list[dict[str, Any]]) -> pa.Table:
    """rows: dicts with K0, ROWTIME, A{i}_{j}, optional SIGN / CHANGE_ID."""
    cols: dict[str, pa.Array] = {}
    cols["K0"] = pa.array([r["K0"] for r in rows], op.keys[0][1].arrow())
    for spec in op.aggs:
        for j, c in enumerate(spec.args):
            t = spec.function.arg_types[j].arrow()
            cols[c] = pa.array([r.get(c) for r in rows], t)
    cols["ROWTIME"] = pa.array([r.get("ROWTIME", 0) for r in rows], pa.int64())
    if any("SIGN" in r for r in rows):
        cols["SIGN"] = pa.array([r.get("SIGN", 1) for r in rows], pa.int8())
        cols["CHANGE_ID"] = pa.array([r["CHANGE_ID"] for r in rows], pa.int64())
    return pa.table(cols)


def run(
    op: AggregateOperator, rows: list[dict[str, Any]], batch_size: int | None = None
) -> list[dict[str, Any]]:
    """Feed rows in batches of `batch_size` source records (an update's undo + add stay together)."""
    units: list[list[dict[str, Any]]] = []
    for r in rows:
        if units and "CHANGE_ID" in r and units[-1][-1].get("CHANGE_ID") == r["CHANGE_ID"]:
            units[-1].append(r)
        else:
            units.append([r])
    size = batch_size or max(len(units), 1)
    out: list[dict[str, Any]] = []
    for i in range(0, len(units), size):
        chunk = [r for u in units[i : i + size] for r in u]
        out += op.process(batch_of(op, chunk)).to_pylist()
    return out


def stream_rows(values: list[tuple[Any, ...]], arg_cols: list[str]) -> list[dict[str, Any]]:
    """(key, ts, arg values...) -> operator rows."""
    rows = []
    for key, ts, *vals in values:
        row = {"K0": key, "ROWTIME": ts}
        row.update(dict(zip(arg_cols, vals)))
        rows.append(row)
    return rows


def table_rows(changes: list[tuple[Any, Any]], group_of, args_of) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Source table changes (pk, value | None) -> undo/add rows, as the planner feeds them."""
    current: dict[Any, Any] = {}
    rows = []
    for cid, (pk, value) in enumerate(changes):
        old = current.get(pk)
        if old is not None:
            rows.append(
                {"K0": group_of(old), "SIGN": -1, "CHANGE_ID": cid, "ROWTIME": 0, **args_of(old)}
            )
        if value is not None:
            rows.append(
                {"K0": group_of(value), "SIGN": 1, "CHANGE_ID": cid, "ROWTIME": 0, **args_of(value)}
            )
            current[pk] = value
        else:
            current.pop(pk, None)
    return rows


def simplify(
    out: list[dict[str, Any]], cols: list[str], window: bool = False
) -> list[tuple[Any, ...]]:
    res = []
    for r in out:
        value = None if r["TOMBSTONE"] else tuple(r[c] for c in cols)
        item: tuple[Any, ...] = (r["K0"], value, r["ROWTIME"])
        if window:
            item += ((r["WINDOWSTART"], r["WINDOWEND"]),)
        res.append(item)
    return res


BATCHES = [None, 1, 2]


# --- streams ------------------------------------------------------------------------------


@pytest.mark.parametrize("bs", BATCHES)
def test_count_stream(bs: int | None) -> None:
    op = make_op(BIGINT, [("COUNT", [], "C")])
    out = run(op, stream_rows([(0, 0), (0, 0), (100, 0)], []), bs)
    assert [(r["K0"], r["C"]) for r in out] == [(0, 1), (0, 2), (100, 1)]


@pytest.mark.parametrize("bs", BATCHES)
def test_average_int(bs: int | None) -> None:
    op = make_op(STRING, [("AVG", [Arg(INTEGER)], "AVG")])
    data = [
        ("alice", 0, 1),
        ("bob", 0, 2),
        ("alice", 0, 2),
        ("alice", 0, 2),
        ("bob", 0, 2),
        ("bob", 0, 0),
        ("alice", 0, None),
    ]
    out = run(op, stream_rows(data, ["A0_0"]), bs)
    got = [r["AVG"] for r in out]
    assert got == pytest.approx(
        [1.0, 2.0, 1.5, 1.6666666666666667, 2.0, 1.3333333333333333, 1.6666666666666667]
    )


@pytest.mark.parametrize("bs", BATCHES)
def test_min_max_ignore_nulls(bs: int | None) -> None:
    op = make_op(BIGINT, [("MIN", [Arg(STRING)], "MN"), ("MAX", [Arg(STRING)], "MX")])
    vals = [
        (1, None),
        (0, None),
        (0, "B"),
        (0, "A"),
        (0, None),
        (100, "E"),
        (100, "C"),
        (100, "G"),
        (0, "F"),
        (0, "D"),
    ]
    rows = [{"K0": k, "ROWTIME": 0, "A0_0": v, "A1_0": v} for k, v in vals]
    out = run(op, rows, bs)
    assert [r["MN"] for r in out] == [None, None, "B", "A", "A", "E", "C", "C", "A", "A"]
    assert [r["MX"] for r in out] == [None, None, "B", "B", "B", "E", "E", "G", "F", "F"]


@pytest.mark.parametrize("bs", BATCHES)
def test_sum_types(bs: int | None) -> None:
    op = make_op(BIGINT, [("SUM", [Arg(BIGINT)], "S"), ("SUM", [Arg(DOUBLE)], "D")])
    rows = [
        {"K0": k, "ROWTIME": 0, "A0_0": a, "A1_0": b}
        for k, a, b in [(0, 2147483648, 5.4), (0, 100, 100.1), (0, None, None), (1, None, None)]
    ]
    out = run(op, rows, bs)
    assert [r["S"] for r in out] == [2147483648, 2147483748, 2147483748, 0]
    assert [r["D"] for r in out] == pytest.approx([5.4, 105.5, 105.5, 0.0])


@pytest.mark.parametrize("bs", BATCHES)
def test_collect_and_limits(bs: int | None) -> None:
    props = {"ksql.functions.collect_list.limit": "1", "ksql.functions.collect_set.limit": "2"}
    op = make_op(
        BIGINT,
        [("COLLECT_LIST", [Arg(INTEGER)], "L"), ("COLLECT_SET", [Arg(INTEGER)], "S")],
        props=props,
    )
    rows = stream_rows(
        [(0, 0, 0, 0), (0, 0, 100, None), (0, 0, 5, 0), (0, 0, 6, 7)], ["A0_0", "A1_0"]
    )
    out = run(op, rows, bs)
    assert [r["L"] for r in out] == [[0], [0], [0], [0]]
    assert [r["S"] for r in out] == [[0], [0, None], [0, None], [0, None]]


@pytest.mark.parametrize("bs", BATCHES)
def test_topk_struct_ties_in_arrival_order(bs: int | None) -> None:
    op = make_op(BIGINT, [("TOPK", [Arg(INTEGER), Arg(STRING), Arg(INTEGER, True, 3)], "TOPK")])
    data = [
        (0, 0, 0, "zero"),
        (0, 0, 100, "one"),
        (0, 0, 99, "two"),
        (0, 0, None, "three"),
        (0, 0, 100, None),
    ]
    out = run(op, stream_rows(data, ["A0_0", "A0_1"]), bs)
    last = [(e["sort_col"], e["col0"]) for e in out[-1]["TOPK"]]
    assert last == [(100, "one"), (100, None), (99, "two")]
    assert [(e["sort_col"], e["col0"]) for e in out[3]["TOPK"]] == [
        (100, "one"),
        (99, "two"),
        (0, "zero"),
    ]


@pytest.mark.parametrize("bs", BATCHES)
def test_topkdistinct(bs: int | None) -> None:
    op = make_op(BIGINT, [("TOPKDISTINCT", [Arg(STRING), Arg(INTEGER, True, 3)], "T")])
    out = run(op, stream_rows([(0, 0, v) for v in "abcbd"], ["A0_0"]), bs)
    assert [r["T"] for r in out] == [
        ["a"],
        ["b", "a"],
        ["c", "b", "a"],
        ["c", "b", "a"],
        ["d", "c", "b"],
    ]


@pytest.mark.parametrize("bs", BATCHES)
def test_earliest_latest_by_offset(bs: int | None) -> None:
    aggs = [
        ("EARLIEST_BY_OFFSET", [Arg(INTEGER)], "E1"),
        ("EARLIEST_BY_OFFSET", [Arg(INTEGER), Arg(BOOLEAN, True, False)], "E1N"),
        ("EARLIEST_BY_OFFSET", [Arg(INTEGER), Arg(INTEGER, True, 2)], "E2"),
        (
            "EARLIEST_BY_OFFSET",
            [Arg(INTEGER), Arg(INTEGER, True, 2), Arg(BOOLEAN, True, False)],
            "E2N",
        ),
        ("LATEST_BY_OFFSET", [Arg(INTEGER)], "L1"),
        ("LATEST_BY_OFFSET", [Arg(INTEGER), Arg(BOOLEAN, True, False)], "L1N"),
        ("LATEST_BY_OFFSET", [Arg(INTEGER), Arg(INTEGER, True, 2)], "L2"),
    ]
    op = make_op(BIGINT, aggs)
    rows = [
        {"K0": 0, "ROWTIME": 0, **{f"A{i}_0": v for i in range(len(aggs))}}
        for v in (None, 12, None, 13)
    ]
    out = run(op, rows, bs)
    assert [r["E1"] for r in out] == [None, 12, 12, 12]
    assert [r["E1N"] for r in out] == [None, None, None, None]
    assert [r["E2"] for r in out] == [[], [12], [12], [12, 13]]
    assert [r["E2N"] for r in out] == [[None], [None, 12], [None, 12], [None, 12]]
    assert [r["L1"] for r in out] == [None, 12, 12, 13]
    assert [r["L1N"] for r in out] == [None, 12, None, 13]
    assert [r["L2"] for r in out] == [[], [12], [12], [12, 13]]


@pytest.mark.parametrize("bs", BATCHES)
def test_histogram_attr_count_distinct(bs: int | None) -> None:
    aggs = [
        ("HISTOGRAM", [Arg(STRING)], "H"),
        ("ATTR", [Arg(STRING)], "AT"),
        ("COUNT_DISTINCT", [Arg(STRING)], "CD"),
    ]
    op = make_op(BIGINT, aggs)
    vals = [(0, "foo"), (100, "baz"), (0, "bar"), (100, "baz"), (100, "foo"), (100, None)]
    rows = [{"K0": k, "ROWTIME": 0, "A0_0": v, "A1_0": v, "A2_0": v} for k, v in vals]
    out = run(op, rows, bs)
    assert [dict(r["H"]) for r in out] == [
        {"foo": 1},
        {"baz": 1},
        {"foo": 1, "bar": 1},
        {"baz": 2},
        {"baz": 2, "foo": 1},
        {"baz": 2, "foo": 1},
    ]
    assert [r["AT"] for r in out] == ["foo", "baz", None, "baz", None, None]
    assert [r["CD"] for r in out] == [1, 1, 2, 1, 2, 2]


@pytest.mark.parametrize("bs", BATCHES)
def test_attr_nulls(bs: int | None) -> None:
    op = make_op(BIGINT, [("ATTR", [Arg(STRING)], "S")])
    assert [r["S"] for r in run(op, stream_rows([(1, 0, None)] * 3, ["A0_0"]), bs)] == [None] * 3
    op = make_op(BIGINT, [("ATTR", [Arg(STRING)], "S")])
    assert [
        r["S"] for r in run(op, stream_rows([(1, 0, "1"), (1, 0, None), (1, 0, "1")], ["A0_0"]), bs)
    ] == ["1", None, None]


@pytest.mark.parametrize("bs", BATCHES)
def test_correlation_stream(bs: int | None) -> None:
    op = make_op(STRING, [("CORRELATION", [Arg(DOUBLE), Arg(DOUBLE)], "C")])
    data = [("alice", 0, 1.5, 8.0), ("bob", 0, -3.5, -2.0), ("alice", 0, -1.0, -2.0), ("alice", 0, -4.5, -1.0),
            ("bob", 0, 13.1, None), ("bob", 0, 3.0, 11.0), ("alice", 0, None, -6.0)]  # fmt: skip
    got = [r["C"] for r in run(op, stream_rows(data, ["A0_0", "A0_1"]), bs)]
    expected = [math.nan, math.nan, 1.0, 0.7580764521133173, math.nan, 1.0, 0.7580764521133173]
    for g, e in zip(got, expected):
        assert (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e, abs=1e-9)


# --- tables (retraction) ------------------------------------------------------------------


@pytest.mark.parametrize("bs", BATCHES)
def test_count_table_undo(bs: int | None) -> None:
    # corpus count.json "count table": key 0 bob -> john moves groups: bob 0, then john 1.
    op = make_op(STRING, [("COUNT", [], "C")])
    rows = table_rows(
        [("0", "bob"), ("0", "john"), ("100", "john"), ("100", None)], lambda v: v, lambda v: {}
    )
    out = run(op, rows, bs)
    assert [(r["K0"], r["C"]) for r in out] == [
        ("bob", 1),
        ("bob", 0),
        ("john", 1),
        ("john", 2),
        ("john", 1),
    ]


@pytest.mark.parametrize("bs", BATCHES)
def test_count_back_to_zero(bs: int | None) -> None:
    op = make_op(BIGINT, [("COUNT", [], "C")])
    rows = table_rows([("1", 3), ("2", 3), ("1", None), ("2", None)], lambda v: v, lambda v: {})
    assert [(r["K0"], r["C"]) for r in run(op, rows, bs)] == [(3, 1), (3, 2), (3, 1), (3, 0)]


@pytest.mark.parametrize("bs", BATCHES)
def test_collect_list_table_same_group_update_emits_once(bs: int | None) -> None:
    op = make_op(BIGINT, [("COLLECT_LIST", [Arg(INTEGER)], "L"), ("HISTOGRAM", [Arg(STRING)], "H")])
    changes = [(0, 0), (0, 100), (100, 500), (100, 100)]
    # GROUP BY the primary key: an update's undo and add land in the same group.
    current: dict[int, int] = {}
    rows = []
    for cid, (pk, v) in enumerate(changes):
        if pk in current:
            rows.append(
                {
                    "K0": pk,
                    "SIGN": -1,
                    "CHANGE_ID": cid,
                    "A0_0": current[pk],
                    "A1_0": str(current[pk]),
                }
            )
        rows.append({"K0": pk, "SIGN": 1, "CHANGE_ID": cid, "A0_0": v, "A1_0": str(v)})
        current[pk] = v
    out = run(op, rows, bs)
    assert [(r["K0"], r["L"]) for r in out] == [(0, [0]), (0, [100]), (100, [500]), (100, [100])]
    assert [dict(r["H"]) for r in out] == [{"0": 1}, {"100": 1}, {"500": 1}, {"100": 1}]


@pytest.mark.parametrize("bs", BATCHES)
def test_correlation_table(bs: int | None) -> None:
    op = make_op(STRING, [("CORRELATION", [Arg(DOUBLE), Arg(DOUBLE)], "C")])
    changes = [
        ("alice", (1.5, 8.0)),
        ("bob", (-3.5, -2.0)),
        ("alice", (-1.0, -2.0)),
        ("charlie", (-4.5, -1.0)),
    ]
    rows = table_rows(changes, lambda v: "a", lambda v: {"A0_0": v[0], "A0_1": v[1]})
    got = [r["C"] for r in run(op, rows, bs)]
    assert math.isnan(got[0]) and got[1] == pytest.approx(1.0) and math.isnan(got[2])
    assert got[3] == pytest.approx(-0.7205766921228921)
    assert len(got) == 4


# --- windows ------------------------------------------------------------------------------


def _win(out: list[dict[str, Any]], col: str) -> list[tuple[Any, ...]]:
    return [
        (
            r["K0"],
            None if r["TOMBSTONE"] else r[col],
            r["ROWTIME"],
            r["WINDOWSTART"],
            r["WINDOWEND"],
        )
        for r in out
    ]


@pytest.mark.parametrize("bs", BATCHES)
def test_tumbling_min(bs: int | None) -> None:
    op = make_op(BIGINT, [("MIN", [Arg(BIGINT)], "M")], WindowSpec.tumbling(30000))
    data = [(0, 0, 0), (0, 10000, 5), (100, 30000, 100), (100, 45000, 6), (100, 50000, 300)]
    assert _win(run(op, stream_rows(data, ["A0_0"]), bs), "M") == [
        (0, 0, 0, 0, 30000), (0, 0, 10000, 0, 30000), (100, 100, 30000, 30000, 60000),
        (100, 6, 45000, 30000, 60000), (100, 6, 50000, 30000, 60000),
    ]  # fmt: skip


HOP_DATA = [
    (0, 0, 0),
    (0, 89999, 1),
    (0, 10009, 5),
    (0, 90000, 0),
    (0, 10010, 6),
    (1, 10009, 100),
    (1, 30000, 101),
    (1, 86412022, 200),
    (1, 60000, 200),
]


@pytest.mark.parametrize("bs", BATCHES)
def test_hopping_out_of_order_default_grace(bs: int | None) -> None:
    op = make_op(BIGINT, [("MAX", [Arg(BIGINT)], "M")], WindowSpec.hopping(30000, 15000))
    assert _win(run(op, stream_rows(HOP_DATA, ["A0_0"]), bs), "M") == [
        (0, 0, 0, 0, 30000), (0, 1, 89999, 60000, 90000), (0, 1, 89999, 75000, 105000), (0, 5, 10009, 0, 30000),
        (0, 1, 90000, 75000, 105000), (0, 0, 90000, 90000, 120000), (0, 6, 10010, 0, 30000), (1, 100, 10009, 0, 30000),
        (1, 101, 30000, 15000, 45000), (1, 101, 30000, 30000, 60000), (1, 200, 86412022, 86385000, 86415000),
        (1, 200, 86412022, 86400000, 86430000), (1, 200, 60000, 45000, 75000), (1, 200, 60000, 60000, 90000),
    ]  # fmt: skip


@pytest.mark.parametrize("bs", BATCHES)
def test_hopping_out_of_order_explicit_grace(bs: int | None) -> None:
    op = make_op(
        BIGINT, [("MAX", [Arg(BIGINT)], "M")], WindowSpec.hopping(30000, 15000, grace_ms=60000)
    )
    assert _win(run(op, stream_rows(HOP_DATA, ["A0_0"]), bs), "M") == [
        (0, 0, 0, 0, 30000), (0, 1, 89999, 60000, 90000), (0, 1, 89999, 75000, 105000), (0, 5, 10009, 0, 30000),
        (0, 1, 90000, 75000, 105000), (0, 0, 90000, 90000, 120000), (1, 101, 30000, 15000, 45000),
        (1, 101, 30000, 30000, 60000), (1, 200, 86412022, 86385000, 86415000), (1, 200, 86412022, 86400000, 86430000),
    ]  # fmt: skip


@pytest.mark.parametrize("bs", BATCHES)
def test_hopping_count(bs: int | None) -> None:
    op = make_op(INTEGER, [("COUNT", [], "C")], WindowSpec.hopping(5000, 1000))
    out = _win(run(op, stream_rows([(0, 10345), (0, 13251)], []), bs), "C")
    assert out == [(0, 1, 10345, s, s + 5000) for s in range(6000, 11000, 1000)] + [
        (0, 2, 13251, 9000, 14000), (0, 2, 13251, 10000, 15000), (0, 1, 13251, 11000, 16000),
        (0, 1, 13251, 12000, 17000), (0, 1, 13251, 13000, 18000),
    ]  # fmt: skip


SESSION_DATA = [
    (0, 0, 0),
    (0, 70010, 1),
    (0, 10009, 5),
    (0, 10010, 6),
    (1, 10009, 100),
    (1, 10010, 101),
    (1, 86412022, 200),
    (1, 60000, 200),
]


@pytest.mark.parametrize("bs", BATCHES)
def test_session_out_of_order_default_grace(bs: int | None) -> None:
    op = make_op(BIGINT, [("MAX", [Arg(BIGINT)], "M")], WindowSpec.session(30000))
    assert _win(run(op, stream_rows(SESSION_DATA, ["A0_0"]), bs), "M") == [
        (0, 0, 0, 0, 0), (0, 1, 70010, 70010, 70010), (0, None, 0, 0, 0), (0, 5, 10009, 0, 10009),
        (0, None, 10009, 0, 10009), (0, 6, 10010, 0, 10010), (1, 100, 10009, 10009, 10009),
        (1, None, 10009, 10009, 10009), (1, 101, 10010, 10009, 10010), (1, 200, 86412022, 86412022, 86412022),
        (1, 200, 60000, 60000, 60000),
    ]  # fmt: skip


@pytest.mark.parametrize("bs", BATCHES)
def test_session_explicit_grace(bs: int | None) -> None:
    data = [
        (0, 0, 0),
        (0, 100010, 1),
        (0, 10009, 5),
        (0, 10010, 6),
        (1, 10009, 100),
        (1, 10010, 101),
        (1, 86412022, 200),
        (1, 60000, 200),
    ]
    op = make_op(BIGINT, [("MAX", [Arg(BIGINT)], "M")], WindowSpec.session(30000, grace_ms=60000))
    assert _win(run(op, stream_rows(data, ["A0_0"]), bs), "M") == [
        (0, 0, 0, 0, 0), (0, 1, 100010, 100010, 100010), (0, 6, 10010, 10010, 10010),
        (1, 101, 10010, 10010, 10010), (1, 200, 86412022, 86412022, 86412022),
    ]  # fmt: skip


@pytest.mark.parametrize("bs", BATCHES)
def test_session_merge_by_offset(bs: int | None) -> None:
    aggs = [
        ("EARLIEST_BY_OFFSET", [Arg(INTEGER)], "E"),
        ("LATEST_BY_OFFSET", [Arg(INTEGER), Arg(INTEGER, True, 2), Arg(BOOLEAN, True, True)], "L"),
    ]
    op = make_op(BIGINT, aggs, WindowSpec.session(1000))
    rows = [
        {"K0": 0, "ROWTIME": t, "A0_0": v, "A1_0": v} for t, v in [(0, 1), (1500, None), (700, 2)]
    ]
    out = run(op, rows, bs)
    assert [
        (r["TOMBSTONE"], r["E"], r["L"], r["ROWTIME"], r["WINDOWSTART"], r["WINDOWEND"])
        for r in out
    ] == [
        (False, 1, [1], 0, 0, 0),
        (False, None, [], 1500, 1500, 1500),
        (True, None, None, 0, 0, 0),
        (True, None, None, 1500, 1500, 1500),
        (False, 1, [1, 2], 1500, 0, 1500),
    ]


# --- EMIT FINAL ---------------------------------------------------------------------------


def _final(
    window: WindowSpec, data: list[tuple[Any, int]], bs: int | None, col_arg: bool = False
) -> list[tuple[Any, ...]]:
    aggs = [("COUNT", [Arg(STRING)] if col_arg else [], "C")]
    op = make_op(STRING, aggs, window, emit_final=True)
    rows = [{"K0": k, "ROWTIME": t, "A0_0": "v"} for k, t in data]
    return _win(run(op, rows, bs), "C")


@pytest.mark.parametrize("bs", BATCHES)
def test_emit_final_tumbling(bs: int | None) -> None:
    assert _final(WindowSpec.tumbling(2, grace_ms=0), [("k1", 0), ("k1", 1), ("k1", 2)], bs) == [
        ("k1", 2, 1, 0, 2)
    ]
    assert _final(WindowSpec.tumbling(2, grace_ms=0), [("k1", 0), ("k1", 1)], bs) == []
    assert _final(WindowSpec.tumbling(2), [("k1", 0), ("k1", 1), ("k1", 2)], bs) == [
        ("k1", 2, 1, 0, 2)
    ]
    ooo = [("k1", 0), ("k1", 1), ("k1", 2), ("k1", 1), ("k1", 0), ("k1", 5), ("k1", 0)]
    assert _final(WindowSpec.tumbling(2, grace_ms=1), ooo, bs) == [("k1", 1, 2, 2, 4)]
    jump = [("k1", t) for t in (0, 1, 2, 0, 3, 0, 10, 0, 30)]
    assert _final(WindowSpec.tumbling(2, grace_ms=2), jump, bs) == []
    keys = [("k1", 0), ("k2", 1), ("k1", 2), ("k1", 1), ("k2", 0), ("k1", 5), ("k1", 0), ("k2", 2)]
    assert _final(WindowSpec.tumbling(2, grace_ms=1), keys, bs) == [("k1", 1, 2, 2, 4)]


@pytest.mark.parametrize("bs", BATCHES)
def test_emit_final_hopping_and_session(bs: int | None) -> None:
    hop = [("k1", t) for t in (0, 1, 2, 1, 6, 5, 10)]
    assert _final(WindowSpec.hopping(5, 2, grace_ms=1), hop, bs) == [
        ("k1", 4, 2, 0, 5),
        ("k1", 2, 6, 4, 9),
    ]
    sess = [("k1", t) for t in (0, 4, 8, 12, 14, 30, 29, 17, 42)]
    assert _final(WindowSpec.session(5, grace_ms=6), sess, bs) == [
        ("k1", 5, 14, 0, 14),
        ("k1", 2, 30, 29, 30),
    ]


# --- restart ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window", [None, WindowSpec.hopping(30000, 15000), WindowSpec.session(30000)]
)
def test_restart_continues_from_stored_state(tmp_path, window) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "state.duckdb")
    aggs = [("MAX", [Arg(BIGINT)], "M"), ("COLLECT_LIST", [Arg(BIGINT)], "L"), ("COUNT", [], "C")]
    rows = [{"K0": k, "ROWTIME": t, "A0_0": v, "A1_0": v} for k, t, v in SESSION_DATA]
    expected = run(make_op(BIGINT, aggs, window), rows)
    op = make_op(BIGINT, aggs, window, path=path, name="agg")
    got = run(op, rows[:3])
    op.store.commit()
    op.store.close()
    close_database(path)
    op2 = make_op(BIGINT, aggs, window, path=path, name="agg")
    got += run(op2, rows[3:])
    op2.store.commit()
    assert got == expected
    op2.store.close()
    close_database(path)


def test_uncommitted_writes_are_rolled_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "s.duckdb")
    op = make_op(BIGINT, [("COUNT", [], "C")], path=path, name="c")
    run(op, stream_rows([(1, 0)], []))
    op.store.commit()
    run(op, stream_rows([(1, 0)], []))
    op.store.rollback()
    op.store.close()
    close_database(path)
    op2 = make_op(BIGINT, [("COUNT", [], "C")], path=path, name="c")
    assert [r["C"] for r in run(op2, stream_rows([(1, 0)], []))] == [2]
    op2.store.close()
    close_database(path)
