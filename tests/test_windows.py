"""Pure window-time helpers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ksql.runtime import windows as W


def test_hopping_windows_exploded_in_row_then_start_order() -> None:
    rows, starts = W.hopping_windows(np.array([10345, 0, 13251]), 5000, 1000)
    assert rows.tolist() == [0] * 5 + [1] + [2] * 5
    assert starts.tolist() == [6000, 7000, 8000, 9000, 10000, 0, 9000, 10000, 11000, 12000, 13000]


def test_hopping_never_negative_and_size_multiple() -> None:
    rows, starts = W.hopping_windows(pa.array([10009, 89999]), 30000, 15000)
    assert list(zip(rows.tolist(), starts.tolist())) == [(0, 0), (1, 60000), (1, 75000)]


def test_stream_time_running_max() -> None:
    assert W.stream_time_ms(np.array([5, 3, 9, 1]), None).tolist() == [5, 5, 9, 9]
    assert W.stream_time_ms(np.array([5, 3]), 7).tolist() == [7, 7]


def test_grace_defaults() -> None:
    spec = W.WindowSpec.tumbling(2)
    assert W.effective_grace_ms(spec, emit_final=False) == W.DEFAULT_GRACE_MS
    assert W.effective_grace_ms(spec, emit_final=True) == 0
    assert W.effective_grace_ms(W.WindowSpec.tumbling(2, grace_ms=5), True) == 5
