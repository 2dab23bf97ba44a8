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
hopping windows); with ksqlDB's record cache on, only each table entry's last row of the
batch; EMIT FINAL emits one row per window when it closes.

State: one store (`state_<name>` in the query's state file) keyed by group and window start,
holding each aggregate's state columns, ROWTIME and EMITTED; stream time and counters live in
the store's metadata.

Execution picks one of three paths per batch:
- SESSION windows with the record cache on (EMIT CHANGES), when every aggregate has SQL forms
  and no record is later than grace: the batch folds into the stored sessions as interval
  merging in one DuckDB query (sessions.py);
- SQL (aggregate_sql.py): running aggregates as DuckDB window functions merged with the stored
  state, or one GROUP BY when only the last state per group is emitted;
- record by record in Python (aggregate_records.py) for the rest: other SESSION batches, user
  aggregates without SQL forms, and undo rows of aggregates whose undo is not a running sum
  (COLLECT_LIST/SET, HISTOGRAM).
Closing time windows (EMIT FINAL) and their retention are in aggregate_final.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ksql.functions.aggregates.base import AggregateFunction
from ksql.runtime import windows as W
from ksql.runtime.aggregate_columns import (
    CHANGE_ID,
    EMITTED,
    ROWTIME,
    SIGN,
    TOMBSTONE,
    WINDOWEND,
    WINDOWSTART,
)
from ksql.runtime.aggregate_final import WindowClosing
from ksql.runtime.aggregate_records import RecordByRecord
from ksql.runtime.aggregate_sql import VectorizedAggregation
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.runtime.record_cache import CACHE_PROPERTY, record_cache_enabled
from ksql.runtime.sessions import fold_sessions, foldable
from ksql.storage.state import StateStore, table_name
from ksql.types import SqlType
from ksql.types import quote_identifier as q

OWNER = "Aggregate"


@dataclass(frozen=True, slots=True)
class AggregateSpec:
    """One aggregate of the query: bound function, its input column names, its output name."""

    function: AggregateFunction
    args: tuple[str, ...]
    output: str


class AggregateOperator(Operator, VectorizedAggregation, WindowClosing, RecordByRecord):
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

    # --- declared state -------------------------------------------------------------------
    @staticmethod
    def declared_stores(
        name: str, key_names: list[str], window: W.WindowSpec | None, emit_final: bool
    ) -> tuple[StateStoreSpec, ...]:
        """The store of an aggregation whose StateStore is `name`, from its configuration."""
        key = (*key_names, WINDOWSTART) if window is not None else tuple(key_names)
        return (
            StateStoreSpec(
                table_name(name), OWNER, key, retention_ms=_retention_ms(window, emit_final),
                changelog=True,
            ),
        )  # fmt: skip

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return self.declared_stores(self.store.name, self.key_names, self.window, self.emit_final)

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

    # --- entry point ----------------------------------------------------------------------
    def process(self, batch: pa.Table) -> pa.Table:
        """The output rows of one batch (see the module docstring); state is updated."""
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


def _retention_ms(window: W.WindowSpec | None, emit_final: bool) -> int | None:
    """How long (in event time) a window's row stays: time windows until past retention
    (default size + grace) after their start, sessions gap + grace after their end."""
    if window is None:
        return None
    grace = W.effective_grace_ms(window, emit_final)
    if window.is_session:
        return window.gap_ms + grace
    if window.retention_ms is not None:
        return window.retention_ms
    return window.size_ms + grace


__all__ = ["CACHE_PROPERTY", "AggregateOperator", "AggregateSpec"]
