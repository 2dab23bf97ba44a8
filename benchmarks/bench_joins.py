"""Join throughput over a Nexmark event mix: q20-shaped stream-table and q8-shaped stream-stream.

Usage: python benchmarks/bench_joins.py [--events N]
Generates N Nexmark events (per 50: 1 person, 3 auctions, 46 bids) as JSON into three topics,
runs each join as a persistent query end to end (read, decode, join, project, encode, append,
checkpoint) and prints input records/s for each.

- q20 shape: bids enriched with their auction (stream-table join on the auction id).
- q8 shape: people who opened an auction within 10 seconds of registering (stream-stream).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nexmark import BASE_TIME_MS, EVENTS_PER_SECOND, append_records, bid_table  # noqa: E402

from ksql.engine import Engine  # noqa: E402

DDL = [
    "CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, "
    "url STRING, `dateTime` BIGINT, extra STRING) WITH (kafka_topic='bids', value_format='JSON');",
    "CREATE TABLE auctions (id BIGINT PRIMARY KEY, item_name STRING, reserve BIGINT, "
    "seller BIGINT, category BIGINT) "
    "WITH (kafka_topic='auctions', key_format='JSON', value_format='JSON');",
    "CREATE STREAM auction_stream (id BIGINT KEY, item_name STRING, reserve BIGINT, "
    "seller BIGINT, category BIGINT) "
    "WITH (kafka_topic='auctions', key_format='JSON', value_format='JSON');",
    "CREATE STREAM persons (id BIGINT KEY, name STRING, city STRING, state STRING) "
    "WITH (kafka_topic='persons', key_format='JSON', value_format='JSON');",
]
QUERIES = {
    "q20 stream-table (bids JOIN auctions)": (
        "CREATE STREAM q20 AS SELECT b.auction, b.bidder, b.price, a.item_name, a.seller, "
        "a.category FROM bids b JOIN auctions a ON b.auction = a.id;",
        ("bids", "auctions"),
    ),
    "q8 stream-stream (persons JOIN auctions WITHIN 10 s)": (
        "CREATE STREAM q8 AS SELECT p.id, p.name, a.reserve FROM persons p "
        "JOIN auction_stream a WITHIN 10 SECONDS ON p.id = a.seller;",
        ("persons", "auctions"),
    ),
}


def _sides(events: int) -> tuple[pa.Table, pa.Table]:
    """Persons and auctions of the first `events` events, keyed by id (JSON keys)."""
    con = duckdb.connect()
    ts = f"{BASE_TIME_MS} + event * 1000 // {EVENTS_PER_SECOND}"
    persons = con.sql(
        f"""SELECT (1000 + event // 50)::VARCHAR::BLOB AS key,
            to_json(struct_pack(name := 'person' || (event // 50)::VARCHAR,
                city := 'Phoenix', state := 'AZ'))::BLOB AS value, {ts} AS timestamp
        FROM (SELECT range * 50 AS event FROM range(0, {events} // 50 + 1)) WHERE event < {events}"""
    ).to_arrow_table()
    auctions = con.sql(
        f"""SELECT (1000 + (event // 50) * 3 + event % 50 - 1)::VARCHAR::BLOB AS key,
            to_json(struct_pack(item_name := 'item', reserve := (hash(event) % 1000)::BIGINT,
                seller := 1000 + greatest(0, event // 50 - CAST(hash(event, 1) % 10 AS BIGINT)),
                category := 10 + (hash(event, 2) % 5)::BIGINT))::BLOB AS value,
            {ts} AS timestamp
        FROM (SELECT range AS event FROM range(0, {events})) WHERE event % 50 BETWEEN 1 AND 3"""
    ).to_arrow_table()
    return persons, auctions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=65536, help="records per micro-batch")
    args = parser.parse_args()
    generators = {
        "bids": lambda: bid_table(0, args.events * 46 // 50),
        "auctions": lambda: _sides(args.events)[1],
        "persons": lambda: _sides(args.events)[0],
    }
    for label, (sql, topics) in QUERIES.items():
        with tempfile.TemporaryDirectory(prefix="ksql-bench-") as tmp:
            engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
            sizes = {}
            for name, generate in generators.items():
                engine.log.create_topic(name, partitions=1)
                if name in topics:
                    table = generate()
                    sizes[name] = table.num_rows
                    append_records(engine.log, name, table)
                    del table
            for ddl in DDL:
                engine.execute(ddl)
            engine.execute(sql)
            started = time.perf_counter()
            while engine.step(args.batch):
                pass
            elapsed = time.perf_counter() - started
            sink = sql.split()[2].upper()
            out = engine.log.end_offset(sink, 0)
            engine.close()
        records = sum(sizes[t] for t in topics)
        print(
            f"{label}: {records / elapsed:,.0f} input records/s "
            f"({records:,} records in {elapsed:.2f} s, {out:,} joined rows)"
        )
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
