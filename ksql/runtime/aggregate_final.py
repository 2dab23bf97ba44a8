"""The aggregation operator's window closing: EMIT FINAL's rows and the retention purge.

A time window [start, end) closes once end + grace <= stream time. EMIT FINAL emits each
window once, at the record whose stream time closed it, and marks it EMITTED; windows leave
the store once past retention (the window's RETENTION, default size + grace) and closed.

`WindowClosing` is a mixin of `AggregateOperator`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ksql.runtime.aggregate_columns import EMITTED, WINDOWEND, WINDOWSTART
from ksql.types import quote_identifier as q


class WindowClosing:
    """EMIT FINAL and retention of time windows (see the module docstring)."""

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
            f"UPDATE {{table}} SET {EMITTED} = true "
            f"WHERE NOT {EMITTED} AND {WINDOWEND} + {grace} <= {st_final}"
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
                f"CAST({s.function.result_sql([q(c) for c, _ in cols])} "
                f"AS {s.function.result_type().duckdb()}) AS {q(s.output)}"
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
