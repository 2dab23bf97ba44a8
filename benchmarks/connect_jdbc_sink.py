"""Benchmark: the JDBC sink task's upserts into PostgreSQL, beside PostgreSQL's own COPY.

Starts a throwaway PostgreSQL (tests/support/postgres.py) and builds N records (keys 0..N-1,
a STRUCT value of four fields: text, DECIMAL(12,2), TIMESTAMP, INT32), then prints rows/s of:
  (a) JdbcSinkTask in upsert mode (pk.mode=record_key, auto.create) putting the records in
      batches as the runtime would and flushing: into a fresh table (every row new), then a
      second pass over the same keys (every row an update);
  (b) COPY (binary, psycopg) of the same rows into a fresh table with the same primary key:
      the ceiling a client can reach.

    python benchmarks/connect_jdbc_sink.py [--rows 1000000] [--batch 10000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ksql.connect import api
from ksql.connect.api import Schema, SinkRecord, SinkTaskContext, struct_schema
from ksql.connect.jdbc import schemas
from ksql.connect.jdbc.sink import JdbcSinkTask
from tests.support.postgres import PostgresServer

KEY = Schema(api.INT64)
VALUE = struct_schema(
    [
        ("name", Schema(api.STRING, optional=True)),
        ("amount", schemas.decimal(2, 12)),
        ("ts", schemas.timestamp()),
        ("qty", Schema(api.INT32, optional=True)),
    ]
)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class Context(SinkTaskContext):
    connector_name = "bench"

    def topic_columns(self, topic: str) -> None:
        return None

    def report(self, record: SinkRecord, error: BaseException) -> None:
        raise error


def make_records(rows: int, first_offset: int, version: int) -> list[SinkRecord]:
    return [
        SinkRecord(
            "orders",
            key=i,
            key_schema=KEY,
            value_schema=VALUE,
            partition=0,
            offset=first_offset + i,
            value={
                "name": f"name-{i}-{version}",
                "amount": Decimal(i + version) / 100,
                "ts": T0 + dt.timedelta(seconds=i + version),
                "qty": (i + version) % 1000,
            },
        )
        for i in range(rows)
    ]


def sink_pass(url: str, records: list[SinkRecord], batch: int) -> float:
    task = JdbcSinkTask()
    task.start(
        {
            "connection.url": url,
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "pk.fields": "id",
            "auto.create": "true",
            "batch.size": str(batch),
        },
        Context(),
    )
    task.positions([("orders", 0)])
    began = time.perf_counter()
    for start in range(0, len(records), batch):
        task.put(records[start : start + batch])
    task.flush({})
    elapsed = time.perf_counter() - began
    task.stop()
    return elapsed


def copy_pass(server: PostgresServer, database: str, records: list[SinkRecord]) -> float:
    rows = [(r.key, *r.value.values()) for r in records]
    with server.connect(database, autocommit=False) as conn:
        conn.execute(
            "CREATE TABLE copied (id BIGINT PRIMARY KEY, name TEXT, "
            "amount NUMERIC(12,2), ts TIMESTAMP, qty INTEGER)"
        )
        conn.commit()
        began = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY copied FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["int8", "text", "numeric", "timestamptz", "int4"])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="profile the update pass")
    args = parser.parse_args()
    server = PostgresServer().start()
    try:
        database = server.create_database("bench")
        url = "jdbc:" + server.url(database)
        inserts = make_records(args.rows, 0, 0)
        updates = make_records(args.rows, args.rows, 1)
        insert_s = sink_pass(url, inserts, args.batch)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        update_s = sink_pass(url, updates, args.batch)
        if profiler:
            profiler.disable()
        copy_s = copy_pass(server, database, inserts)
        with server.connect(database) as conn:
            (count,) = conn.execute("SELECT count(*) FROM orders").fetchone()
            assert count == args.rows, count
        print(f"rows: {args.rows:,}  batch: {args.batch:,}")
        print(
            f"(a) sink upsert, fresh table : {args.rows / insert_s:>12,.0f} rows/s "
            f"({insert_s:.2f} s)"
        )
        print(
            f"(a) sink upsert, all updates : {args.rows / update_s:>12,.0f} rows/s "
            f"({update_s:.2f} s)"
        )
        print(
            f"(b) COPY binary (ceiling)    : {args.rows / copy_s:>12,.0f} rows/s ({copy_s:.2f} s)"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
