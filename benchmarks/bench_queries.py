"""End-to-end persistent-query throughput over Nexmark bids: read, decode, compute, encode, append.

Usage: python benchmarks/bench_queries.py [--records N] [--queries q0,q1,q2,q14,q21,q22]
Prints records/s per query; each query runs alone on a fresh engine over the same input.
q14v / q14r run q14 with a Python user function (vectorized / per row) to show its cost.
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

from nexmark import load_bids

from ksql.engine import Engine

BIDS_DDL = (
    "CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, "
    "url STRING, `dateTime` BIGINT, extra STRING) "
    "WITH (kafka_topic='bids', value_format='JSON');"
)


def _q14(c_counts: str) -> str:
    hour = "((`dateTime` / 3600000) % 24)"
    return (
        "CREATE STREAM {name} AS SELECT auction, bidder, 0.908 * price AS price, "
        f"CASE WHEN {hour} >= 8 AND {hour} <= 18 THEN 'dayTime' "
        f"WHEN {hour} <= 6 OR {hour} >= 20 THEN 'nightTime' ELSE 'otherTime' END AS bid_time_type, "
        f"`dateTime`, extra, {c_counts} AS c_counts FROM bids "
        "WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;"
    )


QUERIES = {
    "q0": "CREATE STREAM q0 AS SELECT * FROM bids;",
    "q1": "CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bids;",
    "q2": "CREATE STREAM q2 AS SELECT auction, price FROM bids WHERE auction % 123 = 0;",
    # Nexmark q14: CASE over the bid's hour, a price band filter, and counting 'c' in `extra`
    # (q14 with built-ins; q14v / q14r call a Python user function, vectorized / per row).
    "q14": _q14("LEN(extra) - LEN(REPLACE(extra, 'c', ''))"),
    "q14v": _q14("COUNT_CHAR_V(extra, 'c')"),
    "q14r": _q14("COUNT_CHAR_R(extra, 'c')"),
    # Nexmark q21: channel id from CASE, else REGEXP_EXTRACT from the url.
    "q21": (
        "CREATE STREAM q21 AS SELECT auction, bidder, price, channel, "
        "CASE WHEN LCASE(channel) = 'apple' THEN '0' WHEN LCASE(channel) = 'google' THEN '1' "
        "WHEN LCASE(channel) = 'facebook' THEN '2' WHEN LCASE(channel) = 'baidu' THEN '3' "
        "ELSE REGEXP_EXTRACT('(&|^)channel_id=([^&]*)', url, 2) END AS channel_id FROM bids "
        "WHERE REGEXP_EXTRACT('(&|^)channel_id=([^&]*)', url, 2) IS NOT NULL "
        "OR LCASE(channel) IN ('apple', 'google', 'facebook', 'baidu');"
    ),
    # Nexmark q22: directories of the url by SPLIT and 1-based index.
    "q22": (
        "CREATE STREAM q22 AS SELECT auction, bidder, price, channel, "
        "SPLIT(url, '/')[4] AS dir1, SPLIT(url, '/')[5] AS dir2, SPLIT(url, '/')[6] AS dir3 "
        "FROM bids;"
    ),
}


def _register_udfs() -> None:
    """COUNT_CHAR as a Python user function, vectorized (Arrow in/out) and per row."""
    import pyarrow.compute as pc

    from ksql import udf

    if "COUNT_CHAR_V" in udf.user_functions():
        return

    @udf.scalar("COUNT_CHAR_V", params=["STRING", "STRING"], returns="INTEGER", vectorized=True)
    def count_char_v(text, char):
        chars = pc.unique(char)
        if len(chars) == 1 and chars[0].is_valid:  # the usual case: a literal character
            return pc.count_substring(text, chars[0].as_py())
        return [count_char_r(t, c) for t, c in zip(text.to_pylist(), char.to_pylist())]

    @udf.scalar("COUNT_CHAR_R", params=["STRING", "STRING"], returns="INTEGER")
    def count_char_r(text, char):
        return None if text is None or char is None else text.count(char)


def run(name: str, records: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="ksql-bench-") as tmp:
        engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
        engine.log.create_topic("bids", partitions=1)
        load_bids(engine.log, "bids", records)
        engine.execute(BIDS_DDL)
        _register_udfs()
        engine.execute(QUERIES[name].replace("{name}", name))
        started = time.perf_counter()
        engine.run_until_idle()
        elapsed = time.perf_counter() - started
        out = engine.log.end_offset(name.upper(), 0)
        engine.close()
    return records / elapsed, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", default="q0,q1,q2,q14,q21,q22")
    args = parser.parse_args()
    print(f"{'query':<6} {'records/s':>12} {'output records':>15}")
    for name in args.queries.split(","):
        rate, out = run(name, args.records)
        print(f"{name:<6} {rate:>12,.0f} {out:>15,}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss_mb:,.0f} MiB; input {args.records:,} bids")


if __name__ == "__main__":
    main()
