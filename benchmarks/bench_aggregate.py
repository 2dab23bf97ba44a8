"""Benchmark: COUNT/SUM GROUP BY over 1M rows, 1000 keys, batches of 50k; prints rows/s."""

from __future__ import annotations

import sys
import time

import numpy as np
import pyarrow as pa

from ksql.functions.aggregates import Arg, bind
from ksql.runtime.aggregate import AggregateOperator, AggregateSpec
from ksql.storage.state import StateStore
from ksql.types import BIGINT


def main(rows: int = 1_000_000, keys: int = 1000, batch: int = 50_000) -> None:
    rng = np.random.default_rng(1)
    specs = [
        AggregateSpec(bind("COUNT", []).function, (), "C"),
        AggregateSpec(bind("SUM", [Arg(BIGINT)]).function, ("A1_0",), "S"),
    ]
    op = AggregateOperator([("K0", BIGINT)], specs, StateStore(":memory:", "bench"))
    data = pa.table(
        {
            "K0": pa.array(rng.integers(0, keys, rows)),
            "A1_0": pa.array(rng.integers(0, 100, rows)),
            "ROWTIME": pa.array(np.arange(rows, dtype=np.int64)),
        }
    )
    start = time.perf_counter()
    emitted = 0
    for i in range(0, rows, batch):
        emitted += op.process_batch(data.slice(i, batch)).num_rows
    op.commit()
    elapsed = time.perf_counter() - start
    print(
        f"aggregate COUNT+SUM: {rows} rows, {keys} keys, batch {batch}: {elapsed:.2f}s, {rows / elapsed:,.0f} rows/s, {emitted} rows out"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
