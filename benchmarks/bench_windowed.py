"""Windowed aggregation throughput over Nexmark bids: a tumbling 10-second COUNT + SUM per auction.

Usage: python benchmarks/bench_windowed.py [--records N]
Loads N JSON bids into the embedded log, runs the query as a persistent CREATE TABLE AS SELECT
(read, decode, aggregate, encode the table changelog, append, checkpoint) and prints records/s.
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
QUERY = (
    "CREATE TABLE bids_per_auction AS SELECT auction, COUNT(*) AS bids, SUM(price) AS volume "
    "FROM bids WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY auction;"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=65536, help="records per micro-batch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ksql-bench-") as tmp:
        engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
        engine.log.create_topic("bids", partitions=1)
        load_bids(engine.log, "bids", args.records)
        engine.execute(BIDS_DDL)
        engine.execute(QUERY)
        started = time.perf_counter()
        while engine.step(args.batch):
            pass
        elapsed = time.perf_counter() - started
        out = engine.log.end_offset("BIDS_PER_AUCTION", 0)
        engine.close()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tumbling 10 s COUNT+SUM per auction: {args.records / elapsed:,.0f} records/s "
          f"({args.records:,} bids in {elapsed:.2f} s, {out:,} changelog records)")
    print(f"peak RSS {rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
