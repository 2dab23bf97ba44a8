"""The aggregation operator's vectorized path: a batch's running aggregates as DuckDB SQL.

Each row's running aggregate is computed with window functions over the batch (`PARTITION BY
group ORDER BY seq`), merged with the group's stored state through the aggregates'
partial / merge / result SQL forms; then each group's last state is stored. When only each
group's last state is emitted (record cache on, or EMIT FINAL) and every aggregate has a
grouped form, the batch folds with one GROUP BY instead. Time windows explode each row into
its windows first; records for windows already closed (end + grace <= stream time) are
dropped as late.

`VectorizedAggregation` is a mixin of `AggregateOperator` (it uses the operator's keys,
aggregates, window and store).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ksql.runtime import windows as W
from ksql.runtime.aggregate_columns import EMITTED, ROWTIME, WINDOWEND, WINDOWSTART
from ksql.types import quote_identifier as q


class VectorizedAggregation:
    """Running aggregates of a batch in SQL (see the module docstring)."""

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
