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


class AggregateOperator:
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
        if sessions or python_only or undo_in_python:
            out = self._process_python(batch, ts, st, sign, emit, ordinal0)
        else:
            out = self._process_sql(batch, ts, st, sign, emit, ordinal0)
        self.store.set_meta("stream_time_ms", int(st[-1]))
        self.store.set_meta("ordinal", ordinal0 + n)
        return out

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
        result = self._run_sql(inp)
        # Store each group's last state.
        last = result.filter(result.column("__last"))
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
        out = result.filter(result.column("__emit"))
        return self._shape_output(out)

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

    # --- per-record path (sessions, collection undo) ----------------------------------------
    def _process_python(
        self,
        batch: pa.Table,
        ts: np.ndarray,
        st: np.ndarray,
        sign: np.ndarray,
        emit: np.ndarray,
        ordinal0: int,
    ) -> pa.Table:
        n = batch.num_rows
        key_lists = [batch.column(k).to_pylist() for k in self.key_names]
        keys = list(zip(*key_lists)) if key_lists else [() for _ in range(n)]
        arg_lists = [[batch.column(a).to_pylist() for a in s.args] for s in self.aggs]
        fns = [s.function for s in self.aggs]
        out: list[dict[str, Any]] = []
        if self.window is not None and self.window.is_session:
            self._sessions(batch, keys, arg_lists, ts, st, fns, ordinal0, out)
        elif self.window is not None:  # time windows with user aggregates
            from ksql.runtime.python_windows import time_windows

            accepted = time_windows(self, keys, arg_lists, ts, st, fns, ordinal0, out)
            if self.emit_final:
                return self._final_rows(st, accepted)
            self._purge(int(st[-1]))
        else:
            self._groups(batch, keys, arg_lists, ts, sign, emit, fns, ordinal0, out)
        return self._rows_to_table(out)

    def _load_states(
        self, rows: pa.Table
    ) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]], int, dict[str, Any]]]:
        """Stored rows as (key, per-aggregate state tuples, rowtime, extra columns)."""
        cols = {c: rows.column(c).to_pylist() for c in rows.column_names}
        out = []
        for r in range(rows.num_rows):
            key = tuple(cols[k][r] for k in self.key_names)
            states = [tuple(cols[c][r] for c, _ in sc) for sc in self.state_cols]
            extra = {c: cols[c][r] for c in (WINDOWSTART, WINDOWEND, EMITTED) if c in cols}
            out.append((key, states, cols[ROWTIME][r], extra))
        return out

    def _states_table(
        self, entries: list[tuple[tuple[Any, ...], list[tuple[Any, ...]], int, dict[str, Any]]]
    ) -> pa.Table:
        schema = self._store_schema()
        data: dict[str, list[Any]] = {f.name: [] for f in schema}
        for key, states, rt, extra in entries:
            for k, v in zip(self.key_names, key):
                data[k].append(v)
            for sc, state in zip(self.state_cols, states):
                for (c, _), v in zip(sc, state):
                    data[c].append(v)
            data[ROWTIME].append(rt)
            data[EMITTED].append(extra.get(EMITTED, False))
            if self.window:
                data[WINDOWSTART].append(extra[WINDOWSTART])
                data[WINDOWEND].append(extra[WINDOWEND])
        return pa.Table.from_arrays([pa.array(data[f.name], f.type) for f in schema], schema=schema)

    def _key_table(self, keys: list[tuple[Any, ...]]) -> pa.Table:
        uniq = list(dict.fromkeys(keys))
        return pa.Table.from_arrays(
            [pa.array([k[i] for k in uniq], t.arrow()) for i, (_, t) in enumerate(self.keys)],
            names=self.key_names,
        )

    def _groups(self, batch, keys, arg_lists, ts, sign, emit, fns, ordinal0, out) -> None:  # type: ignore[no-untyped-def]
        stored = self.store.get(self._key_table(keys), self.key_names) if keys else None
        groups: dict[tuple[Any, ...], tuple[list[tuple[Any, ...]], int | None]] = {}
        if stored is not None:
            for key, states, rt, _ in self._load_states(stored):
                groups[key] = (states, rt)
        for r, key in enumerate(keys):
            states, rt = groups.get(key, ([f.initialize() for f in fns], None))
            new_states = []
            for i, f in enumerate(fns):
                args = tuple(col[r] for col in arg_lists[i])
                new_states.append(
                    f.add(states[i], args, ordinal0 + r) if sign[r] > 0 else f.undo(states[i], args)
                )
            rt = int(ts[r]) if rt is None else max(rt, int(ts[r]))
            groups[key] = (new_states, rt)
            if emit[r]:
                out.append(self._row(key, new_states, rt, fns))
        self.store.upsert(self._states_table([(k, s, rt, {}) for k, (s, rt) in groups.items()]))

    def _row(self, key, states, rt, fns, window=None, tombstone=False) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        row: dict[str, Any] = dict(zip(self.key_names, key))
        if window is not None:
            row[WINDOWSTART], row[WINDOWEND] = window
        for spec, f, s in zip(self.aggs, fns, states):
            row[spec.output] = None if tombstone else f.result(s)
        row[ROWTIME] = rt
        row[TOMBSTONE] = tombstone
        return row

    def _sessions(self, batch, keys, arg_lists, ts, st, fns, ordinal0, out) -> None:  # type: ignore[no-untyped-def]
        assert self.window is not None
        gap, grace = self.window.gap_ms, self.grace_ms
        # key -> list of [start, end, states, emitted]
        sessions: dict[tuple[Any, ...], list[list[Any]]] = {}
        loaded = self.store.get(self._key_table(keys), self.key_names)
        if self.emit_final:
            pending = self.store.scan(f"NOT {EMITTED}")
            loaded = pa.concat_tables([loaded, pending]) if pending.num_rows else loaded
        seen: set[tuple[Any, ...]] = set()
        for key, states, _rt, extra in self._load_states(loaded):
            ident = key + (extra[WINDOWSTART],)
            if ident in seen:
                continue
            seen.add(ident)
            sessions.setdefault(key, []).append(
                [extra[WINDOWSTART], extra[WINDOWEND], states, extra[EMITTED]]
            )
        deleted: list[tuple[tuple[Any, ...], int]] = []
        for r, key in enumerate(keys):
            t, now = int(ts[r]), int(st[r])
            close = now - gap - grace
            mine = sorted(sessions.get(key, []), key=lambda s: s[0])
            mine = [s for s in mine if s[1] >= close or (self.emit_final and not s[3])]
            overlapping = [s for s in mine if s[1] >= close and s[0] - gap <= t <= s[1] + gap]
            start = min([t] + [s[0] for s in overlapping])
            end = max([t] + [s[1] for s in overlapping])
            if end < close:
                continue  # late: the merged session is already closed
            agg = [f.initialize() for f in fns]
            for s in overlapping:
                agg = [f.merge(a, b) for f, a, b in zip(fns, agg, s[2])]
            agg = [
                f.add(a, tuple(col[r] for col in arg_lists[i]), ordinal0 + r)
                for i, (f, a) in enumerate(zip(fns, agg))
            ]
            for s in overlapping:
                if (s[0], s[1]) != (start, end):
                    mine.remove(s)
                    deleted.append((key, s[0]))
                    if not self.emit_final:
                        out.append(self._row(key, s[2], s[1], fns, (s[0], s[1]), tombstone=True))
            mine = [s for s in mine if (s[0], s[1]) != (start, end)]
            mine.append([start, end, agg, False])
            sessions[key] = mine
            if not self.emit_final:
                out.append(self._row(key, agg, end, fns, (start, end)))
            else:
                self._emit_closed_sessions(sessions, now, fns, out)
        # Persist: delete replaced sessions, upsert current ones.
        if deleted:
            del_tbl = pa.Table.from_arrays(
                [
                    pa.array([k[i] for k, _ in deleted], t.arrow())
                    for i, (_, t) in enumerate(self.keys)
                ]
                + [pa.array([s for _, s in deleted], pa.int64())],
                names=self.key_names + [WINDOWSTART],
            )
            self.store.delete(del_tbl)
        entries = [
            (key, s[2], s[1], {WINDOWSTART: s[0], WINDOWEND: s[1], EMITTED: s[3]})
            for key, lst in sessions.items()
            for s in lst
        ]
        if entries:
            self.store.upsert(self._states_table(entries))
        last_st = int(st[-1])
        self.store.delete_where(
            f"{WINDOWEND} + {gap} + {grace} <= {last_st} AND ({EMITTED} OR {str(not self.emit_final).lower()})"
        )

    def _emit_closed_sessions(self, sessions, now, fns, out) -> None:  # type: ignore[no-untyped-def]
        assert self.window is not None
        close = now - self.window.gap_ms - self.grace_ms
        ready = [
            (s[1], s[0], key, s)
            for key, lst in sessions.items()
            for s in lst
            if not s[3] and s[1] < close
        ]
        for _end, _start, key, s in sorted(ready, key=lambda x: (x[0], x[1])):
            s[3] = True
            out.append(self._row(key, s[2], s[1], fns, (s[0], s[1])))

    def _rows_to_table(self, rows: list[dict[str, Any]]) -> pa.Table:
        schema = self.output_schema()
        return pa.Table.from_arrays(
            [pa.array([r.get(f.name) for r in rows], f.type) for f in schema], schema=schema
        )


def result_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Convenience for tests and pull queries: the output as a list of dicts."""
    return table.to_pylist()


__all__ = ["AggregateOperator", "AggregateSpec", "result_rows"]
