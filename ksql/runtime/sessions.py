"""SESSION windows folded a whole batch at a time, when only each session's last state is
emitted (ksqlDB's record cache is on and the query emits changes).

A session holds a key's records that lie within `gap` of each other. Folding a batch is then
interval merging: the batch's records (points) and the key's stored sessions (intervals) are
sorted by start; a new session begins where an interval starts more than `gap` after every
earlier one ended. Each resulting session that contains a new record is emitted once with its
merged state; stored sessions it swallowed or whose bounds changed are deleted and emitted as
tombstones (a window's identity includes its end, as in Kafka Streams). One DuckDB query does
the sort, the running maximum and the aggregation.

This equals folding record by record when no record of the batch is older than its stream
time minus grace (`foldable`); otherwise the operator folds record by record and keeps the
last row per session.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.runtime.aggregate_columns import EMITTED, ROWTIME, TOMBSTONE, WINDOWEND, WINDOWSTART
from ksql.types import quote_identifier as q


def foldable(op, ts: np.ndarray, st: np.ndarray) -> bool:  # type: ignore[no-untyped-def]
    """True when the batch can be folded as intervals: every aggregate has set forms, and no
    record is older than its stream time minus grace. Then no session a record touches can
    have expired when the record arrives (it ends at or after the record minus gap, which is
    after stream time minus gap minus grace), and the merged session is never late."""
    if op.emit_final or not all(
        s.function.group_sql([q(a) for a in s.args], "__sign") is not None
        and s.function.combine_sql([q(c) for c, _ in cols]) is not None
        for s, cols in zip(op.aggs, op.state_cols)
    ):
        return False
    return bool(np.all(ts >= st - op.grace_ms))


def fold_sessions(op, batch: pa.Table, ts: np.ndarray, st: np.ndarray) -> pa.Table:  # type: ignore[no-untyped-def]
    """Merge the batch into the stored sessions; returns the output rows (tombstones of
    replaced sessions, then the session that replaced them, in order of its last record)."""
    arg_cols = sorted({a for s in op.aggs for a in s.args})
    inp = batch.select(op.key_names + arg_cols)
    inp = inp.append_column(ROWTIME, pa.array(ts, pa.int64()))
    inp = inp.append_column("__seq", pa.array(np.arange(batch.num_rows, dtype=np.int64)))
    con = op.store.con
    con.register("__inp", inp)
    try:
        merged = op.store.sql(_merge_sql(op, arg_cols))
    finally:
        con.unregister("__inp")
    replaced = merged.filter(merged.column("__replaced"))
    sessions = merged.filter(pc.invert(merged.column("__replaced")))
    if replaced.num_rows:
        op.store.delete(replaced.select(op.key_names + [WINDOWSTART]))
    state_names = [c for cols in op.state_cols for c, _ in cols]
    stored = sessions.select(op.key_names + [WINDOWSTART, WINDOWEND] + state_names)
    stored = stored.append_column(ROWTIME, sessions.column(WINDOWEND))
    stored = stored.append_column(EMITTED, pa.array(np.zeros(sessions.num_rows, dtype=bool)))
    op.store.upsert(stored.cast(op._store_schema()))
    gap, grace = op.window.gap_ms, op.grace_ms
    op.store.delete_where(f"{WINDOWEND} + {gap} + {grace} <= {int(st[-1])}")
    out = merged.append_column(ROWTIME, merged.column(WINDOWEND))
    out = out.append_column(TOMBSTONE, merged.column("__replaced"))
    return op._shape_output(out)


def _merge_sql(op, arg_cols: list[str]) -> str:  # type: ignore[no-untyped-def]
    keys = ", ".join(q(k) for k in op.key_names)
    gap = op.window.gap_ms
    state_cols = [c for cols in op.state_cols for c, _ in cols]
    stored_rows = ", ".join(
        [q(k) for k in op.key_names]
        + [f"{WINDOWSTART} AS __start", f"{WINDOWEND} AS __end", "false AS __new"]
        + ["NULL::BIGINT AS __seq", "CAST(0 AS TINYINT) AS __sign"]
        + [q(c) for c in state_cols]
    )
    new_rows = ", ".join(
        [q(k) for k in op.key_names]
        + [f"{ROWTIME} AS __start", f"{ROWTIME} AS __end", "true AS __new", "__seq"]
        + ["CAST(1 AS TINYINT) AS __sign"]
        + [q(a) for a in arg_cols]
    )
    match = " AND ".join(f"s.{q(k)} IS NOT DISTINCT FROM i.{q(k)}" for k in op.key_names)
    partials, combined, merged, results = [], [], [], []
    for spec, cols in zip(op.aggs, op.state_cols):
        fn = spec.function
        p_names = [f"__p_{c}" for c, _ in cols]
        c_names = [f"__c_{c}" for c, _ in cols]
        partials += [
            f"{e} AS {q(n)}"
            for e, n in zip(fn.group_sql([q(a) for a in spec.args], "__sign") or [], p_names)
        ]
        combined += [
            f"{e} AS {q(n)}" for e, n in zip(fn.combine_sql([q(c) for c, _ in cols]) or [], c_names)
        ]
        m_exprs = fn.merge_sql([q(n) for n in c_names], [q(n) for n in p_names])
        merged += [f"CAST({e} AS {t.duckdb()}) AS {q(c)}" for e, (c, t) in zip(m_exprs, cols)]
        r = fn.result_sql([q(c) for c, _ in cols])
        results.append(
            f"CASE WHEN __replaced THEN NULL ELSE CAST({r} AS {fn.result_type().duckdb()}) END "
            f"AS {q(spec.output)}"
        )
    order = f"PARTITION BY {keys} ORDER BY __start, __end, __new"
    return f"""
WITH u AS (
  SELECT {new_rows} FROM __inp
  UNION ALL BY NAME
  SELECT {stored_rows} FROM {{table}} s
  SEMI JOIN (SELECT DISTINCT {keys} FROM __inp) i ON {match}
), o AS (
  SELECT *, max(__end) OVER (
    {order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS __reach FROM u
), c AS (
  SELECT *, sum(CASE WHEN __reach IS NULL OR __start > __reach + {gap} THEN 1 ELSE 0 END)
    OVER ({order} ROWS UNBOUNDED PRECEDING) AS __session FROM o
), g AS (
  SELECT {keys}, __session, min(__start) AS {WINDOWSTART}, max(__end) AS {WINDOWEND},
    max(__seq) AS __seq, {", ".join(partials + combined)}
  FROM c GROUP BY {keys}, __session HAVING bool_or(__new)
), m AS (
  SELECT {keys}, {WINDOWSTART}, {WINDOWEND}, __seq, false AS __replaced, 1 AS __rank,
    {", ".join(merged)} FROM g
), r AS (
  SELECT {", ".join(f"c.{q(k)}" for k in op.key_names)}, c.__start AS {WINDOWSTART},
    c.__end AS {WINDOWEND}, g.__seq, true AS __replaced, 0 AS __rank,
    {", ".join(f"NULL AS {q(c)}" for c in state_cols)}
  FROM c JOIN g ON {" AND ".join(f"c.{q(k)} IS NOT DISTINCT FROM g.{q(k)}" for k in op.key_names)}
    AND c.__session = g.__session
  WHERE NOT c.__new AND (c.__start <> g.{WINDOWSTART} OR c.__end <> g.{WINDOWEND})
)
SELECT *, {", ".join(results)} FROM (SELECT * FROM r UNION ALL BY NAME SELECT * FROM m)
ORDER BY __seq, __rank, {WINDOWSTART}
"""
