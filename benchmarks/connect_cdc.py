"""Change data capture throughput of the PostgreSQL connector: rows per second a task turns
into SourceRecords from its replication slot (and from its snapshot), beside PostgreSQL's own
COPY of the same rows as a ceiling. Starts a throwaway PostgreSQL server.

    python benchmarks/connect_cdc.py [--rows 1000000] [--transactions 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support

from ksql.connect.api import SourceTaskContext  # noqa: E402
from ksql.connect.debezium.postgres_source import PostgresSourceTask  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

TABLE = """CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id int NOT NULL, amount numeric(10, 2), note text,
    created_at timestamptz
)"""
ROWS = (
    "INSERT INTO orders SELECT g, g %% 1000, (g %% 10000) / 100.0, 'order number ' || g, "
    "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' "
    "FROM generate_series(%s, %s) g"
)


class Context(SourceTaskContext):
    def offset(self, source_partition):
        return None


def drain(task: PostgresSourceTask, rows: int) -> float:
    """Seconds until the task returned `rows` records (committing each batch)."""
    started, got = time.perf_counter(), 0
    while got < rows:
        batch = task.poll()
        got += len(batch)
        if batch:
            task.commit()
    return time.perf_counter() - started


def copy_out(server: PostgresServer, db: str, parse: bool) -> float:
    """Seconds for COPY (SELECT * FROM orders) TO STDOUT, raw or parsed into tuples."""
    with server.connect(db) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy("COPY (SELECT * FROM orders) TO STDOUT") as copy:
            for _ in copy.rows() if parse else copy:
                pass
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=4)
    parser.add_argument("--batch", type=int, default=2048, help="max.batch.size")
    parser.add_argument("--profile", action="store_true", help="cProfile the streaming part")
    args = parser.parse_args()
    server = PostgresServer().start()
    try:
        db = server.create_database("bench")
        config = {
            "database.hostname": "127.0.0.1", "database.port": str(server.port),
            "database.user": "postgres", "database.dbname": db, "topic.prefix": "bench",
            "plugin.name": "pgoutput", "max.batch.size": str(args.batch),
        }  # fmt: skip
        with server.connect(db) as conn:
            conn.execute(TABLE)
        task = PostgresSourceTask()
        task.start({**config, "snapshot.mode": "never", "slot.name": "stream"}, Context())
        task.poll()  # connected to the slot
        started = time.perf_counter()
        per_txn = -(-args.rows // args.transactions)
        with server.connect(db) as conn:
            for first in range(1, args.rows + 1, per_txn):
                conn.execute(ROWS, (first, min(first + per_txn - 1, args.rows)))
        print(f"inserted {args.rows:,} rows in {args.transactions} transactions "
              f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        stream_s = drain(task, args.rows)
        if profile:
            profile.disable()
        task.stop()

        snapshot = PostgresSourceTask()
        snapshot.start({**config, "snapshot.mode": "initial_only"}, Context())
        snapshot_s = drain(snapshot, args.rows)
        snapshot.stop()
        raw_s, parsed_s = copy_out(server, db, False), copy_out(server, db, True)
        for label, seconds in (
            ("stream: slot -> SourceRecords", stream_s),
            ("snapshot: COPY -> SourceRecords", snapshot_s),
            ("ceiling: COPY TO STDOUT, rows parsed", parsed_s),
            ("ceiling: COPY TO STDOUT, raw bytes", raw_s),
        ):
            print(f"{label:<40} {args.rows / seconds:>12,.0f} rows/s")
        if profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
