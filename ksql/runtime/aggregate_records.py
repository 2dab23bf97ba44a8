"""The aggregation operator's per-record path: SESSION windows (those sessions.py does not
fold), user aggregates (no SQL forms) and undo rows of collection aggregates, folded record by
record in Python over the aggregates' `initialize` / `add` / `undo` / `merge` / `result` forms.

`RecordByRecord` is a mixin of `AggregateOperator` (it uses the operator's keys, aggregates,
window and store); python_windows.py handles time windows for user aggregates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ksql.runtime.aggregate_columns import EMITTED, ROWTIME, TOMBSTONE, WINDOWEND, WINDOWSTART


class RecordByRecord:
    """Per-record folding of a batch (see the module docstring)."""

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
