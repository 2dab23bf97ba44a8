"""End-to-end persistent-query throughput over Nexmark bids: read, decode, compute, encode, append.

Usage: python benchmarks/bench_queries.py [--records N] [--queries q0,q1,q2]
Prints records/s per query; each query runs alone on a fresh engine over the same input.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nexmark import load_bids  # noqa: E402

from ksql.engine import Engine  # noqa: E402

BIDS_DDL = (
    "CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, "
    "url STRING, `dateTime` BIGINT, extra STRING) "
    "WITH (kafka_topic='bids', value_format='JSON');"
)

QUERIES = {
    "q0": "CREATE STREAM q0 AS SELECT * FROM bids;",
    "q1": "CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bids;",
    "q2": "CREATE STREAM q2 AS SELECT auction, price FROM bids WHERE auction % 123 = 0;",
}


def run(name: str, records: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="ksql-bench-") as tmp:
        engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
        engine.log.create_topic("bids", partitions=1)
        load_bids(engine.log, "bids", records)
        engine.execute(BIDS_DDL)
        engine.execute(QUERIES[name])
        started = time.perf_counter()
        engine.run_until_idle()
        elapsed = time.perf_counter() - started
        out = engine.log.end_offset(name.upper(), 0)
        engine.close()
    return records / elapsed, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", default="q0,q1,q2")
    args = parser.parse_args()
    print(f"{'query':<6} {'records/s':>12} {'output records':>15}")
    for name in args.queries.split(","):
        rate, out = run(name, args.records)
        print(f"{name:<6} {rate:>12,.0f} {out:>15,}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss_mb:,.0f} MiB; input {args.records:,} bids")


if __name__ == "__main__":
    main()
