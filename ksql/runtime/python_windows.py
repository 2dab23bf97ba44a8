"""TUMBLING / HOPPING windows record by record, for aggregates without SQL forms (user UDAFs).

The same semantics as the operator's vectorized path: each record goes to every window that
contains it unless the window already closed (end + grace <= stream time), one output row per
(record, window) in input order, states stored per group and window start.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ksql.runtime import windows as W
from ksql.runtime.aggregate_columns import EMITTED, WINDOWEND, WINDOWSTART


def time_windows(op, keys, arg_lists, ts, st, fns, ordinal0, out) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Fold a batch into its windows; appends output rows to `out` (EMIT CHANGES) and returns
    the running max accepted window start per record (for EMIT FINAL's visibility rule)."""
    window = op.window
    size, grace = window.size_ms, op.grace_ms
    rows, starts = W.hopping_windows(ts, size, window.advance_ms)
    keep = starts + size + grace > st[rows]  # late records: window already closed
    rows, starts = rows[keep], starts[keep]
    # Step 1: the stored states of the windows this batch touches.
    wanted = [keys[r] + (int(s),) for r, s in zip(rows, starts, strict=True)]
    groups: dict[tuple[Any, ...], tuple[list[tuple[Any, ...]], int | None]] = {}
    if wanted:
        columns = [
            pa.array([w[i] for w in wanted], t.arrow()) for i, (_, t) in enumerate(op.keys)
        ] + [pa.array([w[-1] for w in wanted], pa.int64())]
        lookup = pa.Table.from_arrays(columns, names=op.group_names)
        for key, states, rt, extra in op._load_states(op.store.get(lookup)):
            groups[key + (extra[WINDOWSTART],)] = (states, rt)
    # Step 2: fold each record into each of its windows, in order.
    for r, group in zip(rows, wanted, strict=True):
        states, rt = groups.get(group, ([f.initialize() for f in fns], None))
        new = [
            f.add(states[i], tuple(col[r] for col in arg_lists[i]), ordinal0 + int(r))
            for i, f in enumerate(fns)
        ]
        rt = int(ts[r]) if rt is None else max(rt, int(ts[r]))
        groups[group] = (new, rt)
        if not op.emit_final:
            out.append(op._row(group[:-1], new, rt, fns, (group[-1], group[-1] + size)))
    # Step 3: store the touched windows.
    entries = [
        (g[:-1], s, rt, {WINDOWSTART: g[-1], WINDOWEND: g[-1] + size, EMITTED: False})
        for g, (s, rt) in groups.items()
    ]
    if entries:
        op.store.upsert(op._states_table(entries))
    # Step 4: the newest accepted window start after each record.
    prev_max = op.store.get_meta("max_start_ms")
    per_row = np.full(len(ts), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(per_row, rows, starts)
    if prev_max is not None:
        per_row[0] = max(per_row[0], prev_max)
    accepted = np.maximum.accumulate(per_row)
    if len(starts):
        op.store.set_meta("max_start_ms", int(accepted[-1]))
    return accepted
