"""Append, produce and read throughput of the embedded topic log for ~100-byte records."""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import pyarrow as pa

from ksql.storage.log import TopicLog, records_schema
from ksql.storage.partitioner import partition_for_keys

KEY_BYTES = 10
VALUE_BYTES = 90


def fixed_binary(n: int, width: int, rng: np.random.Generator) -> pa.BinaryArray:
    data = rng.integers(32, 127, size=n * width, dtype=np.uint8)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.BinaryArray.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def make_batch(n: int, seed: int = 0) -> pa.RecordBatch:
    rng = np.random.default_rng(seed)
    return pa.RecordBatch.from_arrays(
        [
            fixed_binary(n, KEY_BYTES, rng),
            fixed_binary(n, VALUE_BYTES, rng),
            pa.array(np.arange(n, dtype=np.int64) + 1_700_000_000_000),
            pa.nulls(n, records_schema().field("headers").type),
        ],
        schema=records_schema(),
    )


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds / 1e6:6.2f}M records/s ({n * (KEY_BYTES + VALUE_BYTES) / seconds / 2**20:7.1f} MiB/s)"


def bench(records: int, batch_rows: int, partitions: int, fsync: bool, repeat: int) -> None:
    source = make_batch(records)
    runs = [run_once(source, batch_rows, partitions, fsync) for _ in range(repeat)]
    # Best of the runs: the first one pays the allocator's page faults, not the log.
    append_s, read_s, produce_s, hash_s = (min(r[i] for r in runs) for i in range(4))
    mode = "fsync" if fsync else "no fsync"
    print(
        f"{records:,} records of {KEY_BYTES + VALUE_BYTES} B, batches of {batch_rows:,}, "
        f"{mode}, best of {repeat}"
    )
    print(f"  append (1 partition)       {rate(records, append_s)}")
    print(f"  read   (65,536 per call)   {rate(records, read_s)}")
    print(f"  produce ({partitions} partitions)    {rate(records, produce_s)}")
    print(f"  murmur2 partitioner alone  {records / hash_s / 1e6:6.2f}M keys/s")


def run_once(
    source: pa.RecordBatch, batch_rows: int, partitions: int, fsync: bool
) -> tuple[float, float, float, float]:
    records = source.num_rows
    chunks = [source.slice(i, batch_rows) for i in range(0, records, batch_rows)]
    with (
        tempfile.TemporaryDirectory(prefix="bench-log-") as root,
        TopicLog(root, fsync=fsync) as log,
    ):
        log.create_topic("append", partitions=1)
        log.create_topic("produce", partitions=partitions)

        t = time.perf_counter()
        for chunk in chunks:
            log.append("append", 0, chunk)
        append_s = time.perf_counter() - t

        t = time.perf_counter()
        offset, seen = 0, 0
        while True:
            out = log.read("append", 0, offset, 65536)
            if not out.num_rows:
                break
            seen += out.num_rows
            offset += out.num_rows
        read_s = time.perf_counter() - t
        assert seen == records

        t = time.perf_counter()
        for chunk in chunks:
            log.produce("produce", chunk)
        produce_s = time.perf_counter() - t

        t = time.perf_counter()
        partition_for_keys(source.column("key"), partitions)
        hash_s = time.perf_counter() - t
    return append_s, read_s, produce_s, hash_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--fsync", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for batch_rows in args.batch:
        bench(args.records, batch_rows, args.partitions, args.fsync, args.repeat)


if __name__ == "__main__":
    main()
