"""Connector throughput through ksql's connect runtime, end to end, on a throwaway PostgreSQL:

1. CDC: rows per second from their commit in PostgreSQL to their records in the topic (the
   PostgresConnector with ExtractNewRecordState and JsonConverter, running in an Engine).
2. JDBC sink: rows per second from that topic into a PostgreSQL table by upsert (the
   JdbcSinkConnector, pk.mode=record_key), and again for a second pass that updates every row.
3. Beside them, in the same run: PostgreSQL's own COPY of the same rows into a table, the
   ceiling.

    python benchmarks/connect_pipeline.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support

from ksql.engine import Engine  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

TABLE = "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL)"
INSERT = (
    "INSERT INTO items SELECT g, 'item ' || g, g %% 100 FROM generate_series(%s::int, %s::int) g"
)
UPDATE = "UPDATE items SET qty = qty + 1 WHERE id BETWEEN %s AND %s"


def wait_until(condition, timeout_s: float = 1800.0, every_s: float = 0.05) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError("the benchmark stalled")
        time.sleep(every_s)
    return time.perf_counter()


def topic_rows(engine: Engine, topic: str) -> int:
    ends = engine.end_offsets(topic)
    return sum(ends.values())


def copy_ceiling(server: PostgresServer, db: str, rows: int) -> float:
    """Seconds for COPY of `rows` rows from the client into a fresh table."""
    with server.connect(db) as conn:
        conn.execute("CREATE TABLE copied (id int PRIMARY KEY, name text, qty int)")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY copied FROM STDIN") as copy:
            for i in range(1, rows + 1):
                copy.write_row((i, f"item {i}", i % 100))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=20)
    args = parser.parse_args()
    rows = args.rows
    server = PostgresServer().start()
    try:
        source, target = server.create_database("src"), server.create_database("dst")
        with server.connect(source) as conn:
            conn.execute(TABLE)
        with tempfile.TemporaryDirectory() as data, Engine(data) as engine:
            engine.execute(
                "CREATE SOURCE CONNECTOR cdc WITH ("
                "'connector.class'='io.debezium.connector.postgresql.PostgresConnector', "
                f"'database.hostname'='127.0.0.1', 'database.port'='{server.port}', "
                f"'database.user'='postgres', 'database.dbname'='{source}', "
                "'topic.prefix'='bench', 'slot.name'='bench', 'max.batch.size'='10000', "
                "'transforms'='unwrap,key', "
                "'transforms.unwrap.type'='io.debezium.transforms.ExtractNewRecordState', "
                "'transforms.key.type'='org.apache.kafka.connect.transforms.ExtractField$Key', "
                "'transforms.key.field'='id', "
                "'key.converter'='org.apache.kafka.connect.converters.IntegerConverter', "
                "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
                "'value.converter.schemas.enable'='false');"
            )
            topic = "bench.public.items"
            wait_until(lambda: engine.connect.status("CDC")["tasks"][0]["state"] == "RUNNING")
            time.sleep(1.0)  # the snapshot (of an empty table) is over
            per = rows // args.transactions
            started = time.perf_counter()
            with server.connect(source) as conn:
                for t in range(args.transactions):
                    first = t * per + 1
                    last = rows if t == args.transactions - 1 else first + per - 1
                    conn.execute(INSERT, (first, last))
            committed = time.perf_counter()
            done = wait_until(lambda: engine.topic_info(topic) is not None
                              and topic_rows(engine, topic) >= rows)  # fmt: skip
            cdc_s = done - started
            print(f"inserts committed in PostgreSQL: {rows / (committed - started):,.0f} rows/s")
            print(f"CDC, commit -> topic:            {rows / cdc_s:,.0f} rows/s "
                  f"({cdc_s:.1f} s for {rows:,} rows)")  # fmt: skip

            # Schemaless JSON: the sink types its new table from the ksql table on the topic.
            engine.execute(
                f"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR, qty INT) WITH ("
                f"kafka_topic='{topic}', value_format='JSON');"
            )
            engine.execute(
                "CREATE SINK CONNECTOR sink WITH ("
                "'connector.class'='io.confluent.connect.jdbc.JdbcSinkConnector', "
                f"'connection.url'='jdbc:postgresql://127.0.0.1:{server.port}/{target}', "
                "'connection.user'='postgres', "
                f"'topics'='{topic}', 'table.name.format'='items', 'insert.mode'='upsert', "
                "'pk.mode'='record_key', 'pk.fields'='ID', 'auto.create'='true', "
                "'key.converter'='org.apache.kafka.connect.converters.IntegerConverter', "
                "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
                "'value.converter.schemas.enable'='false');"
            )
            with server.connect(target) as check:
                started = time.perf_counter()

                def count() -> int:
                    try:
                        return check.execute("SELECT count(*) FROM items").fetchone()[0]
                    except Exception:  # noqa: BLE001 - not created yet
                        return 0

                done = wait_until(lambda: count() >= rows, every_s=0.2)
                sink_s = done - started
                print(f"JDBC sink upsert, new rows:      {rows / sink_s:,.0f} rows/s "
                      f"({sink_s:.1f} s)")  # fmt: skip
                with server.connect(source) as conn:
                    for t in range(args.transactions):
                        first = t * per + 1
                        last = rows if t == args.transactions - 1 else first + per - 1
                        conn.execute(UPDATE, (first, last))
                started = time.perf_counter()
                expected = sum(i % 100 + 1 for i in range(1, rows + 1))
                done = wait_until(
                    lambda: check.execute('SELECT sum(qty) FROM items').fetchone()[0] == expected,
                    every_s=0.2,
                )
                print(f"CDC + JDBC sink, every row updated: {rows / (done - started):,.0f} rows/s")
        copy_s = copy_ceiling(server, target, rows)
        print(f"ceiling, PostgreSQL COPY:        {rows / copy_s:,.0f} rows/s ({copy_s:.1f} s)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
