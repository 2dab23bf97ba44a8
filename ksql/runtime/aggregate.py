"""The aggregation operator: running aggregates per group (and window) over Arrow batches.

Input batch columns (prepared by the planner):
- the group key columns (`key_columns`, e.g. K0, K1), the argument columns of every aggregate
  (`AggregateSpec.args`, e.g. A0_0), and ROWTIME (int64 event time in ms);
- table sources only: SIGN (int8: +1 add, -1 undo of a previous row) and CHANGE_ID (int64, equal
  on the undo row and the add row produced by one source update; ksqlDB emits one row, not two,
  when an update's undo and add land in the same group). Without SIGN every row is an add.
Row order is processing order.

Output: key columns, WINDOWSTART/WINDOWEND (windowed), one column per aggregate, ROWTIME (max
event time seen by the group/window; session end for sessions), TOMBSTONE (session merges delete
the old sessions). EMIT CHANGES emits one row per input row in input order (per window for
hopping windows); EMIT FINAL emits one row per window when it closes.

Execution: the vectorized path computes each row's running aggregate as DuckDB window functions
over the batch (`PARTITION BY group ORDER BY seq`) merged with the group's stored state, then
stores each group's last state. Two cases run record by record in Python instead: SESSION
windows (merging is sequential) and undo rows for aggregates whose undo is not expressible as a
running sum (COLLECT_LIST/SET, HISTOGRAM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ksql.functions.aggregates.base import AggregateFunction
from ksql.runtime import windows as W
from ksql.runtime.aggregate_records import RecordByRecord
from ksql.runtime.sessions import fold_sessions, foldable
from ksql.storage.state import StateStore
from ksql.types import SqlType
from ksql.types import quote_identifier as q

ROWTIME = "ROWTIME"
SIGN = "SIGN"
CHANGE_ID = "CHANGE_ID"
WINDOWSTART = "WINDOWSTART"
WINDOWEND = "WINDOWEND"
TOMBSTONE = "TOMBSTONE"
EMITTED = "EMITTED"


@dataclass(frozen=True, slots=True)
class AggregateSpec:
    """One aggregate of the query: bound function, its input column names, its output name."""

    function: AggregateFunction
    args: tuple[str, ...]
    output: str


class AggregateOperator(RecordByRecord):
    """Group-by aggregation with optional TUMBLING/HOPPING/SESSION window and EMIT FINAL."""

    def __init__(
        self,
        key_columns: list[tuple[str, SqlType]],
        aggregates: list[AggregateSpec],
        store: StateStore,
        window: W.WindowSpec | None = None,
        emit_final: bool = False,
        properties: dict[str, str] | None = None,
    ) -> None:
        self.keys = list(key_columns)
        self.key_names = [k for k, _ in self.keys]
        self.aggs = list(aggregates)
        self.store = store
        self.window = window
        self.emit_final = emit_final and window is not None
        self.properties = dict(properties or {})
        self.grace_ms = W.effective_grace_ms(window, self.emit_final) if window else 0
        # Only each group's last state per batch is emitted (ksqlDB's record cache), or none
        # (EMIT FINAL): the batch then folds with one GROUP BY instead of running totals.
        self.last_only = self.emit_final or record_cache_enabled(self.properties)
        self.group_names = self.key_names + ([WINDOWSTART] if window else [])
        # State columns per aggregate: (column name, type).
        self.state_cols: list[list[tuple[str, SqlType]]] = [
            [(f"S{i}_{suffix}", t) for suffix, t in spec.function.state_types()]
            for i, spec in enumerate(self.aggs)
        ]
        self.store.ensure(self._store_schema(), self.group_names)

    # --- schemas --------------------------------------------------------------------------
    def _store_schema(self) -> pa.Schema:
        fields = [pa.field(k, t.arrow()) for k, t in self.keys]
        if self.window:
            fields += [pa.field(WINDOWSTART, pa.int64()), pa.field(WINDOWEND, pa.int64())]
        for cols in self.state_cols:
            fields += [pa.field(c, t.arrow()) for c, t in cols]
        fields += [pa.field(ROWTIME, pa.int64()), pa.field(EMITTED, pa.bool_())]
        return pa.schema(fields)

    def output_schema(self) -> pa.Schema:
        fields = [pa.field(k, t.arrow()) for k, t in self.keys]
        if self.window:
            fields += [pa.field(WINDOWSTART, pa.int64()), pa.field(WINDOWEND, pa.int64())]
        fields += [pa.field(s.output, s.function.result_type().arrow()) for s in self.aggs]
        fields += [pa.field(ROWTIME, pa.int64()), pa.field(TOMBSTONE, pa.bool_())]
        return pa.schema(fields)

    # --- lifecycle hooks ------------------------------------------------------------------
    def flush(self) -> None:
        self.store.flush()

    def commit(self) -> None:
        self.store.commit()

    def on_checkpoint(self) -> None:
        self.store.commit()

    # --- entry point ----------------------------------------------------------------------
    def process_batch(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        if n == 0:
            return self.output_schema().empty_table()
        prev_st = self.store.get_meta("stream_time_ms")
        ordinal0 = int(self.store.get_meta("ordinal", 0))
        ts = np.asarray(batch.column(ROWTIME).cast(pa.int64()).to_numpy(zero_copy_only=False))
        st = W.stream_time_ms(ts, prev_st)
        sign = (
            np.asarray(batch.column(SIGN).cast(pa.int8()).to_numpy(zero_copy_only=False))
            if SIGN in batch.column_names
            else np.ones(n, dtype=np.int8)
        )
        emit = self._emit_mask(batch)
        has_undo = bool((sign < 0).any())
        sessions = self.window is not None and self.window.is_session
        python_only = any(s.function.python_only for s in self.aggs)  # user aggregates
        undo_in_python = has_undo and not all(s.function.sql_undo for s in self.aggs)
        if sessions and self.last_only and not python_only and foldable(self, ts, st):
            out = fold_sessions(self, batch, ts, st)
        elif sessions or python_only or undo_in_python:
            before = self._stored_sessions(batch) if sessions and self.last_only else None
            out = self._process_python(batch, ts, st, sign, emit, ordinal0)
            if self.last_only and not self.emit_final:
                out = self._last_rows(out, before)
        else:
            out = self._process_sql(batch, ts, st, sign, emit, ordinal0)
        self.store.set_meta("stream_time_ms", int(st[-1]))
        self.store.set_meta("ordinal", ordinal0 + n)
        return out

    def _stored_sessions(self, batch: pa.Table) -> set[tuple[Any, ...]]:
        """(key..., start, end) of the stored sessions of the batch's keys."""
        stored = self.store.get(batch.select(self.key_names), self.key_names)
        return set(zip(*(stored.column(c).to_pylist() for c in self._identity())))

    def _identity(self) -> list[str]:
        """Columns that name one output row's table entry: key and window (its end too for
        sessions, whose bounds change as they merge)."""
        if self.window is None:
            return self.key_names
        if self.window.is_session:
            return self.key_names + [WINDOWSTART, WINDOWEND]
        return self.key_names + [WINDOWSTART]

    def _last_rows(self, out: pa.Table, before: set[tuple[Any, ...]] | None) -> pa.Table:
        """The last output row per table entry, in order of those rows (the record cache). A
        session deleted within the batch is dropped unless it was stored before (`before`)."""
        if out.num_rows < 2 and before is None:
            return out
        index = pa.array(np.arange(out.num_rows, dtype=np.int64))
        ident = self._identity()
        last = out.select(ident).append_column("__i", index).group_by(ident, use_threads=False)
        rows = np.sort(last.aggregate([("__i", "max")]).column("__i_max").to_numpy())
        kept = out.take(pa.array(rows))
        if before is None:
            return kept
        idents = zip(*(kept.column(c).to_pylist() for c in ident))
        tomb = kept.column(TOMBSTONE).to_pylist()
        keep = [not dead or i in before for i, dead in zip(idents, tomb)]
        return kept.filter(pa.array(keep))

    def _emit_mask(self, batch: pa.Table) -> np.ndarray:
        """False on an undo row directly followed by the add of the same update into the same
        group: ksqlDB emits that update once."""
        n = batch.num_rows
        if CHANGE_ID not in batch.column_names or n < 2:
            return np.ones(n, dtype=bool)
        cols = [CHANGE_ID] + self.key_names
        t = batch.select(cols).append_column("__seq", pa.array(np.arange(n, dtype=np.int64)))
        same = " AND ".join(f"lead({q(c)}) OVER o IS NOT DISTINCT FROM {q(c)}" for c in cols)
        con = self.store.con
        con.register("__pairs", t)
        try:
            r = con.sql(
                f"SELECT NOT ({same}) AS e FROM __pairs WINDOW o AS (ORDER BY __seq) ORDER BY __seq"
            ).to_arrow_table()
        finally:
            con.unregister("__pairs")
        return np.asarray(r.column("e").to_numpy(zero_copy_only=False), dtype=bool)

    # --- vectorized path ------------------------------------------------------------------
    def _process_sql(
        self,
        batch: pa.Table,
        ts: np.ndarray,
        st: np.ndarray,
        sign: np.ndarray,
        emit: np.ndarray,
        ordinal0: int,
    ) -> pa.Table:
        n = batch.num_rows
        arg_cols = sorted({a for s in self.aggs for a in s.args})
        inp = batch.select(self.key_names + arg_cols)
        seq = np.arange(n, dtype=np.int64)
        extra = {
            ROWTIME: pa.array(ts, pa.int64()),
            "__seq": pa.array(seq),
            "__sign": pa.array(sign, pa.int8()),
            "__ord": pa.array(seq + ordinal0),
            "__st": pa.array(st),
            "__emit": pa.array(emit),
        }
        for name, arr in extra.items():
            inp = inp.append_column(name, arr)
        accepted_start_max: np.ndarray | None = None
        if self.window is not None:
            size, adv = self.window.size_ms, self.window.advance_ms
            rows, starts = W.hopping_windows(ts, size, adv)
            ends = starts + size
            keep = ends + self.grace_ms > st[rows]  # late records: window already closed
            rows, starts, ends = rows[keep], starts[keep], ends[keep]
            inp = (
                inp.take(pa.array(rows))
                .append_column(WINDOWSTART, pa.array(starts))
                .append_column(WINDOWEND, pa.array(ends))
            )
            prev_max = self.store.get_meta("max_start_ms")
            per_row = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
            np.maximum.at(per_row, rows, starts)
            if prev_max is not None:
                per_row[0] = max(per_row[0], prev_max)
            accepted_start_max = np.maximum.accumulate(per_row)
            if len(starts):
                self.store.set_meta("max_start_ms", int(accepted_start_max[-1]))
        if inp.num_rows == 0:
            return (
                self._final_rows(st, accepted_start_max)
                if self.emit_final
                else self.output_schema().empty_table()
            )
        grouped = self.last_only and all(
            s.function.group_sql([q(a) for a in s.args], "__sign") is not None for s in self.aggs
        )
        result = self._run_grouped(inp) if grouped else self._run_sql(inp)
        # Store each group's last state.
        last = result if grouped else result.filter(result.column("__last"))
        state_names = [c for cols in self.state_cols for c, _ in cols]
        store_cols = (
            self.group_names + ([WINDOWEND] if self.window else []) + state_names + [ROWTIME]
        )
        rows_to_store = last.select(store_cols).append_column(
            EMITTED, pa.array([False] * last.num_rows)
        )
        self.store.upsert(rows_to_store.cast(self._store_schema()))
        if self.emit_final:
            return self._final_rows(st, accepted_start_max)
        self._purge(int(st[-1]))
        if self.last_only:
            return self._shape_output(last)
        return self._shape_output(result.filter(result.column("__emit")))

    def _run_sql(self, inp: pa.Table) -> pa.Table:
        con = self.store.con
        groups = inp.select(self.group_names)
        stored = self.store.get(groups)
        con.register("__inp", inp)
        con.register("__st", stored)
        try:
            return con.sql(self._sql(stored.column_names)).to_arrow_table()
        finally:
            con.unregister("__inp")
            con.unregister("__st")

    def _sql(self, stored_cols: list[str]) -> str:
        match = " AND ".join(f"i.{q(g)} IS NOT DISTINCT FROM s.{q(g)}" for g in self.group_names)
        stored_select = [
            f"s.{q(c)} AS {q('__s_' + c)}" for cols in self.state_cols for c, _ in cols
        ]
        stored_select.append(f"s.{q(ROWTIME)} AS __srt")
        w = "w"
        partials: list[str] = []
        merges: list[str] = []
        results: list[str] = []
        for spec, cols in zip(self.aggs, self.state_cols):
            fn = spec.function
            args = [q(a) for a in spec.args]
            p_exprs = fn.partial_sql(args, "__sign", w, "__ord")
            p_names = [f"__p_{c}" for c, _ in cols]
            partials += [f"{e} AS {q(nm)}" for e, nm in zip(p_exprs, p_names)]
            m_exprs = fn.merge_sql([q("__s_" + c) for c, _ in cols], [q(nm) for nm in p_names])
            merges += [f"CAST({e} AS {t.duckdb()}) AS {q(c)}" for e, (c, t) in zip(m_exprs, cols)]
            r = fn.result_sql([q(c) for c, _ in cols])
            results.append(f"CAST({r} AS {fn.result_type().duckdb()}) AS {q(spec.output)}")
        part = ", ".join(q(g) for g in self.group_names)
        return f"""
WITH j AS (
  SELECT i.*, {", ".join(stored_select)} FROM __inp i LEFT JOIN __st s ON {match}
), p AS (
  SELECT *, {", ".join(partials + ["max(ROWTIME) OVER w AS __prt"])},
    row_number() OVER (PARTITION BY {part} ORDER BY __seq DESC) = 1 AS __last
  FROM j
  WINDOW w AS (PARTITION BY {part} ORDER BY __seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), m AS (
  SELECT *, {", ".join(merges)}, CAST(greatest(__srt, __prt) AS BIGINT) AS __rt FROM p
)
SELECT * EXCLUDE (ROWTIME), __rt AS ROWTIME, {", ".join(results)} FROM m
ORDER BY __seq{", WINDOWSTART" if self.window else ""}
"""

    def _run_grouped(self, inp: pa.Table) -> pa.Table:
        """Each group's state after the batch, one row per group in order of its last row."""
        con = self.store.con
        con.register("__inp", inp)
        try:
            return self.store.sql(self._grouped_sql())
        finally:
            con.unregister("__inp")

    def _grouped_sql(self) -> str:
        group = self.group_names + ([WINDOWEND] if self.window else [])
        match = " AND ".join(f"g.{q(c)} IS NOT DISTINCT FROM s.{q(c)}" for c in self.group_names)
        partials: list[str] = []
        merged: list[str] = []
        results: list[str] = []
        for spec, cols in zip(self.aggs, self.state_cols):
            fn = spec.function
            p_names = [f"__p_{c}" for c, _ in cols]
            exprs = fn.group_sql([q(a) for a in spec.args], "__sign") or []
            partials += [f"{e} AS {q(nm)}" for e, nm in zip(exprs, p_names)]
            m_exprs = fn.merge_sql([f"s.{q(c)}" for c, _ in cols], [q(nm) for nm in p_names])
            merged += [f"CAST({e} AS {t.duckdb()}) AS {q(c)}" for e, (c, t) in zip(m_exprs, cols)]
            r = fn.result_sql([q(c) for c, _ in cols])
            results.append(f"CAST({r} AS {fn.result_type().duckdb()}) AS {q(spec.output)}")
        group_list = ", ".join(q(c) for c in group)
        order = "__seq" + (f", {WINDOWSTART}" if self.window else "")
        return f"""
WITH g AS (
  SELECT {group_list}, {", ".join(partials)}, max(ROWTIME) AS __prt, max(__seq) AS __seq
  FROM __inp GROUP BY {group_list}
), m AS (
  SELECT {", ".join(f"g.{q(c)}" for c in group)}, g.__seq, {", ".join(merged)},
    CAST(greatest(s.{q(ROWTIME)}, g.__prt) AS BIGINT) AS {ROWTIME}
  FROM g LEFT JOIN {{table}} s ON {match}
)
SELECT *, {", ".join(results)} FROM m ORDER BY {order}
"""

    def _shape_output(self, t: pa.Table) -> pa.Table:
        schema = self.output_schema()
        cols = []
        for f in schema:
            if f.name == TOMBSTONE:
                cols.append(
                    pa.array(np.zeros(t.num_rows, dtype=bool))
                    if TOMBSTONE not in t.column_names
                    else t.column(TOMBSTONE)
                )
            else:
                cols.append(t.column(f.name).cast(f.type))
        return pa.Table.from_arrays(cols, schema=schema)

    # --- EMIT FINAL (time windows) ----------------------------------------------------------
    def _final_rows(self, st: np.ndarray, accepted_start_max: np.ndarray | None) -> pa.Table:
        """Windows that closed during this batch, each once, at the record that closed it.

        A window that closes after the store's retention (size + grace behind the newest window
        start) has already left the store and is never emitted, as in Kafka Streams."""
        assert self.window is not None
        size, grace = self.window.size_ms, self.grace_ms
        st_final = int(st[-1])
        closing = self.store.scan(f"NOT {EMITTED} AND {WINDOWEND} + {grace} <= {st_final}")
        if closing.num_rows == 0:
            return self.output_schema().empty_table()
        self.store.execute(
            f"UPDATE {{table}} SET {EMITTED} = true WHERE NOT {EMITTED} AND {WINDOWEND} + {grace} <= {st_final}"
        )
        ends = np.asarray(closing.column(WINDOWEND).to_numpy(zero_copy_only=False), dtype=np.int64)
        starts = np.asarray(
            closing.column(WINDOWSTART).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        at = np.minimum(np.searchsorted(st, ends + grace, side="left"), len(st) - 1)
        if accepted_start_max is not None:
            visible = starts >= accepted_start_max[at] - (size + grace)
        else:
            visible = np.ones(len(starts), dtype=bool)
        closing = closing.append_column("__at", pa.array(at)).filter(pa.array(visible))
        if closing.num_rows == 0:
            return self.output_schema().empty_table()
        closing = closing.sort_by([("__at", "ascending"), (WINDOWSTART, "ascending")])
        con = self.store.con
        con.register("__fin", closing)
        try:
            results = [
                f"CAST({s.function.result_sql([q(c) for c, _ in cols])} AS {s.function.result_type().duckdb()}) AS {q(s.output)}"
                for s, cols in zip(self.aggs, self.state_cols)
            ]
            t = con.sql(
                f"SELECT *, {', '.join(results)} FROM __fin ORDER BY __at, {WINDOWSTART}"
            ).to_arrow_table()
        finally:
            con.unregister("__fin")
        self._purge(st_final)
        return self._shape_output(t)

    def _purge(self, st_ms: int) -> None:
        """Drop windows past retention (default: size + grace)."""
        if self.window is None or self.window.is_session:
            return
        retention = self.window.retention_ms
        if retention is None:
            retention = self.window.size_ms + self.grace_ms
        cond = f"{WINDOWSTART} < {st_ms - retention} AND {WINDOWEND} + {self.grace_ms} <= {st_ms}"
        if self.emit_final:
            cond += f" AND {EMITTED}"
        self.store.delete_where(cond)


CACHE_PROPERTY = "ksql.streams.cache.max.bytes.buffering"


def record_cache_enabled(properties: dict[str, str]) -> bool:
    """True when ksqlDB's record cache is on (`cache.max.bytes.buffering` > 0): a table's
    updates to one key within a commit (here: a micro-batch) are emitted as one."""
    for key in ("cache.max.bytes.buffering", CACHE_PROPERTY):
        value = properties.get(key)
        if value is not None:
            try:
                return int(value) > 0
            except ValueError:
                return False
    return False


def result_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Convenience for tests and pull queries: the output as a list of dicts."""
    return table.to_pylist()


__all__ = ["AggregateOperator", "AggregateSpec", "result_rows"]
