"""Pure time helpers for windowed aggregation: window specs, window starts, stream time, closing.

All times are epoch milliseconds (int64). Window starts follow Kafka Streams: hopping windows
start at multiples of the advance and never before 0; a time window [start, start + size) is
closed once `start + size + grace_ms <= stream_time_ms`; a session [start, end] closes once
`end + gap_ms + grace_ms < stream_time_ms`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

# ksqlDB's legacy default grace period when none is given (EMIT CHANGES).
DEFAULT_GRACE_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """TUMBLING(size), HOPPING(size, advance) or SESSION(gap), with optional grace/retention."""

    kind: str  # "TUMBLING" | "HOPPING" | "SESSION"
    size_ms: int = 0
    advance_ms: int = 0
    gap_ms: int = 0
    grace_ms: int | None = None
    retention_ms: int | None = None

    @staticmethod
    def tumbling(
        size_ms: int, grace_ms: int | None = None, retention_ms: int | None = None
    ) -> WindowSpec:
        return WindowSpec("TUMBLING", size_ms, size_ms, 0, grace_ms, retention_ms)

    @staticmethod
    def hopping(
        size_ms: int, advance_ms: int, grace_ms: int | None = None, retention_ms: int | None = None
    ) -> WindowSpec:
        return WindowSpec("HOPPING", size_ms, advance_ms, 0, grace_ms, retention_ms)

    @staticmethod
    def session(
        gap_ms: int, grace_ms: int | None = None, retention_ms: int | None = None
    ) -> WindowSpec:
        return WindowSpec("SESSION", 0, 0, gap_ms, grace_ms, retention_ms)

    @property
    def is_session(self) -> bool:
        return self.kind == "SESSION"


def effective_grace_ms(spec: WindowSpec, emit_final: bool) -> int:
    """Grace when none is given: 24 h for EMIT CHANGES, 0 for EMIT FINAL (as the corpus shows)."""
    if spec.grace_ms is not None:
        return spec.grace_ms
    return 0 if emit_final else DEFAULT_GRACE_MS


def _as_int64(ts_ms: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    if isinstance(ts_ms, np.ndarray):
        return ts_ms.astype(np.int64, copy=False)
    if isinstance(ts_ms, pa.ChunkedArray):
        ts_ms = ts_ms.combine_chunks()
    return np.asarray(ts_ms.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def hopping_windows(
    ts_ms: pa.Array | np.ndarray, size_ms: int, advance_ms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every (row_index, window_start_ms) with start <= ts < start + size, start a multiple of
    advance and >= 0; pairs ordered by row, then by start ascending."""
    ts = _as_int64(ts_ms)
    first = (np.maximum(0, ts - size_ms + advance_ms) // advance_ms) * advance_ms
    last = (ts // advance_ms) * advance_ms
    counts = np.maximum((last - first) // advance_ms + 1, 0)
    rows = np.repeat(np.arange(len(ts), dtype=np.int64), counts)
    offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    starts = np.repeat(first, counts) + offsets * advance_ms
    return rows, starts


def stream_time_ms(ts_ms: pa.Array | np.ndarray, initial_ms: int | None) -> np.ndarray:
    """Running max of event time (stream time after each record), seeded by the stored value."""
    ts = _as_int64(ts_ms)
    running = np.maximum.accumulate(ts) if len(ts) else ts
    if initial_ms is not None:
        running = np.maximum(running, initial_ms)
    return running
