"""The JDBC source connector against real databases: PostgreSQL (the session server), SQLite and
DuckDB files. Tasks are driven directly with a fake context standing in for the runtime."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from ksql.connect import api
from ksql.connect.api import ConfigError, RetriableError
from ksql.connect.jdbc.source import JdbcSourceConnector, JdbcSourceTask
from ksql.connect.plugins import load_class
from tests.connect.jdbc_fakes import Database, FakeSourceContext, open_database, poll_all

UTC = dt.UTC


def start(url: str, context: FakeSourceContext | None = None, **config: Any) -> JdbcSourceTask:
    task = JdbcSourceTask()
    props = {"connection.url": url, "poll.interval.ms": "100", "topic.prefix": "db-"}
    props.update({k.replace("_", "."): str(v) for k, v in config.items()})
    task.start(props, context or FakeSourceContext())
    return task


ORDERS = (
    "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20), "
    "amount DECIMAL(10,2), ts TIMESTAMP NOT NULL)"
)


def insert_orders(db: Database, *rows: tuple[int, str, str, str]) -> None:
    for i, name, amount, ts in rows:
        db.execute(f"INSERT INTO orders VALUES ({i}, '{name}', {amount}, '{ts}')")


# ----------------------------------------------------------------------------- modes


def test_bulk_reads_the_whole_table_each_round(db):
    db.execute(ORDERS)
    insert_orders(
        db,
        (1, "a", "1.50", "2024-01-01 10:00:00"),
        (2, "b", "2.25", "2024-01-01 11:00:00"),
        (3, "c", "3.00", "2024-01-01 12:00:00"),
    )
    task = start(db.url, mode="bulk", batch_max_rows=2)
    first, second = task.poll(), task.poll()
    assert [len(first), len(second)] == [2, 1]
    record = first[0]
    assert record.topic == "db-orders" and record.key is None and record.key_schema is None
    assert record.value == {
        "id": 1,
        "name": "a",
        "amount": Decimal("1.50"),
        "ts": dt.datetime(2024, 1, 1, 10, tzinfo=UTC),
    }
    assert record.source_partition == {"table": "orders"} and record.source_offset == {}
    schema = record.value_schema
    assert schema.type == api.STRUCT and schema.name == "orders"
    assert [(f.name, f.schema.name or f.schema.type, f.schema.optional) for f in schema.fields] == [
        ("id", "int32" if db.kind != "sqlite" else "int64", False),
        ("name", "string", True),
        ("amount", api.DECIMAL, True),
        ("ts", api.TIMESTAMP, False),
    ]
    assert schema.field("amount").schema.parameters["scale"] == "2"
    assert task.offset_order(record.source_partition, record.source_offset) is None
    assert task.poll() == []  # the next round waits for poll.interval.ms
    db.execute("DELETE FROM orders WHERE id = 2")
    time.sleep(0.15)
    assert [r.value["id"] for r in poll_all(task)] == [1, 3]
    task.stop()


def test_incrementing_reads_new_rows_and_resumes_from_the_stored_offset(db):
    db.execute(ORDERS)
    insert_orders(db, *[(i, f"n{i}", "1", "2024-01-01 10:00:00") for i in range(1, 6)])
    context = FakeSourceContext()
    task = start(
        db.url, context, mode="incrementing", incrementing_column_name="id", batch_max_rows=2
    )
    records = poll_all(task, context)
    assert [r.value["id"] for r in records] == [1, 2, 3, 4, 5]
    assert [r.source_offset for r in records[-2:]] == [{"incrementing": 4}, {"incrementing": 5}]
    assert task.offset_order({"table": "orders"}, {"incrementing": 5}) == 5
    insert_orders(db, (6, "n6", "1", "2024-01-01 10:00:00"))
    time.sleep(0.15)
    assert [r.value["id"] for r in poll_all(task, context)] == [6]
    task.stop()
    # A new task (a restart) starts after the offsets the runtime stored.
    insert_orders(db, (7, "n7", "1", "2024-01-01 10:00:00"))
    again = start(db.url, context, mode="incrementing", incrementing_column_name="id")
    assert [r.value["id"] for r in poll_all(again, context)] == [7]
    again.stop()


def test_timestamp_mode_reads_new_and_changed_rows(db):
    db.execute(ORDERS)
    insert_orders(db, (1, "a", "1", "2024-01-01 10:00:00"), (2, "b", "2", "2024-01-01 10:00:01"))
    context = FakeSourceContext()
    task = start(db.url, context, mode="timestamp", timestamp_column_name="ts")
    records = poll_all(task, context)
    assert [r.value["id"] for r in records] == [1, 2]
    expected_ms = int(dt.datetime(2024, 1, 1, 10, 0, 1, tzinfo=UTC).timestamp() * 1000)
    assert records[-1].source_offset == {"timestamp": expected_ms, "timestamp_nanos": 0}
    db.execute("UPDATE orders SET name = 'a2', ts = '2024-01-01 10:00:05' WHERE id = 1")
    time.sleep(0.15)
    assert [(r.value["id"], r.value["name"]) for r in poll_all(task, context)] == [(1, "a2")]
    task.stop()


def test_timestamp_mode_never_splits_rows_of_one_timestamp(db):
    db.execute(ORDERS)
    insert_orders(
        db,
        (1, "a", "1", "2024-01-01 10:00:00"),
        *[(i, "same", "1", "2024-01-01 10:00:01") for i in range(2, 7)],
        (7, "z", "1", "2024-01-01 10:00:02"),
    )
    context = FakeSourceContext()
    task = start(db.url, context, mode="timestamp", timestamp_column_name="ts", batch_max_rows=3)
    first = task.poll()
    # Three rows asked for; the group at 10:00:01 is five rows and comes whole.
    assert sorted(r.value["id"] for r in first) == [1, 2, 3, 4, 5, 6]
    context.store(first)
    assert [r.value["id"] for r in poll_all(task, context)] == [7]
    task.stop()


def test_timestamp_incrementing_orders_by_both_and_resumes_inside_a_timestamp(db):
    db.execute(ORDERS)
    insert_orders(
        db,
        *[(i, f"n{i}", "1", "2024-01-01 10:00:00") for i in range(1, 5)],
        (5, "n5", "1", "2024-01-01 09:00:00"),
    )
    context = FakeSourceContext()
    task = start(
        db.url,
        context,
        mode="timestamp+incrementing",
        timestamp_column_name="ts",
        incrementing_column_name="id",
        batch_max_rows=2,
    )
    first = task.poll()
    assert [r.value["id"] for r in first] == [5, 1]
    context.store(first)
    offset = first[-1].source_offset
    assert offset["incrementing"] == 1 and "timestamp" in offset and "timestamp_nanos" in offset
    task.stop()
    again = start(
        db.url,
        context,
        mode="timestamp+incrementing",
        timestamp_column_name="ts",
        incrementing_column_name="id",
        batch_max_rows=2,
    )
    assert [r.value["id"] for r in poll_all(again, context)] == [2, 3, 4]
    order = again.offset_order({"table": "orders"}, offset)
    assert order[1] == 1 and order < again.offset_order(
        {"table": "orders"},
        {"timestamp": offset["timestamp"], "timestamp_nanos": 0, "incrementing": 2},
    )
    again.stop()


def test_timestamp_delay_interval_holds_back_recent_rows(pg):
    pg.execute(
        "CREATE TABLE events (id INT PRIMARY KEY, ts TIMESTAMP NOT NULL)",
        "INSERT INTO events VALUES (1, now() AT TIME ZONE 'UTC' - interval '2 hours'), "
        "(2, now() AT TIME ZONE 'UTC' - interval '1 second')",
    )
    task = start(
        pg.url, mode="timestamp", timestamp_column_name="ts", timestamp_delay_interval_ms=3_600_000
    )
    assert [r.value["id"] for r in poll_all(task)] == [1]
    task.stop()


def test_several_timestamp_columns_are_coalesced(pg):
    pg.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, modified TIMESTAMP, created TIMESTAMP NOT NULL)",
        "INSERT INTO items VALUES (1, NULL, '2024-01-01 10:00'), "
        "(2, '2024-01-03 10:00', '2024-01-01 09:00'), (3, NULL, '2024-01-02 10:00')",
    )
    task = start(pg.url, mode="timestamp", timestamp_column_name="modified,created")
    records = poll_all(task)
    assert [r.value["id"] for r in records] == [1, 3, 2]
    task.stop()


def test_timestamp_initial_minus_one_skips_existing_rows(pg):
    pg.execute(
        "CREATE TABLE events (id INT PRIMARY KEY, ts TIMESTAMPTZ NOT NULL)",
        "INSERT INTO events VALUES (1, now() - interval '1 day')",
    )
    task = start(pg.url, mode="timestamp", timestamp_column_name="ts", timestamp_initial=-1)
    assert poll_all(task) == []
    pg.execute("INSERT INTO events VALUES (2, clock_timestamp())")
    time.sleep(0.15)
    records = poll_all(task)
    assert [r.value["id"] for r in records] == [2]
    assert records[0].value["ts"].tzinfo is UTC
    task.stop()


def test_query_mode_reads_a_join_into_the_prefix_topic(db):
    db.execute(
        ORDERS,
        "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20))",
        "INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')",
    )
    insert_orders(
        db,
        (1, "x", "1", "2024-01-01 10:00:00"),
        (2, "y", "2", "2024-01-01 10:00:00"),
        (3, "z", "3", "2024-01-01 10:00:00"),
    )
    query = (
        "SELECT o.id, c.name AS customer, o.amount FROM orders o "
        "JOIN customers c ON c.id = o.id WHERE c.name LIKE '%n%'"
    )
    context = FakeSourceContext()
    task = start(
        db.url,
        context,
        mode="incrementing",
        incrementing_column_name="id",
        query=query,
        topic_prefix="joined",
    )
    records = poll_all(task, context)
    assert [(r.topic, r.value) for r in records] == [
        ("joined", {"id": 1, "customer": "ann", "amount": Decimal("1.00")})
    ]
    assert records[0].source_partition == {"query": "query"}
    assert records[0].value_schema.field("amount").schema.name == api.DECIMAL
    task.stop()


def test_sqlite_query_columns_without_declared_type_take_their_values_type(tmp_path):
    db = open_database("sqlite", None, tmp_path)
    db.execute(ORDERS)
    insert_orders(db, (1, "x", "1.5", "2024-01-01 10:00:00"))
    task = start(
        db.url,
        mode="bulk",
        query="SELECT id, amount * 2 AS doubled, 'k' AS kind FROM orders",
        topic_prefix="q",
    )
    (record,) = task.poll()
    assert record.value == {"id": 1, "doubled": 3.0, "kind": "k"}
    types = [f.schema.type for f in record.value_schema.fields]
    assert types == [api.INT64, api.FLOAT64, api.STRING]
    task.stop()


# ----------------------------------------------------------------------------- tables


def make_tables(pg: Database) -> None:
    pg.execute(
        "CREATE TABLE alpha (id INT PRIMARY KEY)",
        "CREATE TABLE beta (id INT PRIMARY KEY)",
        "CREATE TABLE gamma (id INT PRIMARY KEY)",
        "CREATE SCHEMA other",
        "CREATE TABLE other.delta (id INT PRIMARY KEY)",
        "CREATE VIEW v AS SELECT * FROM alpha",
        "INSERT INTO alpha VALUES (1)",
        "INSERT INTO beta VALUES (2)",
        "INSERT INTO gamma VALUES (3)",
        "INSERT INTO other.delta VALUES (4)",
    )


def topics(task: JdbcSourceTask) -> list[str]:
    return sorted({r.topic for r in poll_all(task)})


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, ["db-alpha", "db-beta", "db-delta", "db-gamma"]),
        ({"table_whitelist": "alpha,other.delta"}, ["db-alpha", "db-delta"]),
        ({"table_blacklist": "beta, gamma"}, ["db-alpha", "db-delta"]),
        (
            {"table_include_list": "public\\..*", "table_exclude_list": ".*ph.*,.*gam.*"},
            ["db-beta"],
        ),
        ({"schema_pattern": "oth%"}, ["db-delta"]),
        ({"table_types": "VIEW"}, ["db-v"]),
    ],
)
def test_table_selection(pg, config, expected):
    make_tables(pg)
    task = start(pg.url, mode="bulk", **config)
    assert topics(task) == expected
    task.stop()


def test_tasks_max_splits_tables_between_tasks(pg):
    make_tables(pg)
    connector = JdbcSourceConnector()
    props = {"connection.url": pg.url, "mode": "bulk", "topic.prefix": "db-"}
    connector.start(props)
    configs = connector.task_configs(3)
    assert len(configs) == 3
    seen = []
    for config in configs:
        task = JdbcSourceTask()
        task.start(config, FakeSourceContext())
        seen.append(topics(task))
        task.stop()
    assert sorted(t for group in seen for t in group) == [
        "db-alpha",
        "db-beta",
        "db-delta",
        "db-gamma",
    ]
    assert all(seen)
    assert connector.task_configs(1) == [props]


def test_a_single_task_finds_new_tables(tmp_path):
    db = open_database("sqlite", None, tmp_path)
    db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY)", "INSERT INTO a VALUES (1)")
    task = start(
        db.url, mode="incrementing", incrementing_column_name="id", table_poll_interval_ms=0
    )
    assert topics(task) == ["db-a"]
    db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY)", "INSERT INTO b VALUES (5)")
    time.sleep(0.15)
    records = poll_all(task)
    assert [(r.topic, r.value) for r in records] == [("db-b", {"id": 5})]
    task.stop()


# ----------------------------------------------------------------------------- columns


def test_incrementing_column_is_found_when_not_named(pg, tmp_path):
    pg.execute("CREATE TABLE s (id SERIAL PRIMARY KEY, v TEXT)", "INSERT INTO s (v) VALUES ('x')")
    task = start(pg.url, mode="incrementing")
    assert [r.source_offset for r in poll_all(task)] == [{"incrementing": 1}]
    task.stop()
    lite = open_database("sqlite", None, tmp_path)
    lite.execute(
        "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO s (v) VALUES ('x')"
    )
    task = start(lite.url, mode="incrementing")
    assert [r.value for r in poll_all(task)] == [{"id": 1, "v": "x"}]
    task.stop()
    pg.execute("CREATE TABLE plain (id INT, v TEXT)")
    task = start(pg.url, mode="incrementing", table_whitelist="plain")
    with pytest.raises(ConfigError, match="auto-incrementing column of table plain"):
        task.poll()
    task.stop()


def test_nullable_offset_columns_are_refused_unless_allowed(pg):
    pg.execute("CREATE TABLE n (id INT, ts TIMESTAMP)", "INSERT INTO n VALUES (1, now())")
    task = start(pg.url, mode="incrementing", incrementing_column_name="id")
    with pytest.raises(
        ConfigError, match="incrementing column id on n because this column is nullable"
    ):
        task.poll()
    task.stop()
    task = start(pg.url, mode="timestamp", timestamp_column_name="ts")
    with pytest.raises(ConfigError, match=r"timestamp columns \[ts\] on n because all"):
        task.poll()
    task.stop()
    task = start(
        pg.url, mode="incrementing", incrementing_column_name="id", validate_non_null="false"
    )
    assert len(poll_all(task)) == 1
    task.stop()


def test_unknown_offset_column_names_the_columns(pg):
    pg.execute("CREATE TABLE t (id INT NOT NULL)")
    task = start(pg.url, mode="incrementing", incrementing_column_name="nope")
    with pytest.raises(
        ConfigError,
        match="Invalid value nope for configuration "
        "incrementing.column.name: table t has no column nope",
    ):
        task.poll()
    task.stop()


def test_postgres_types(pg):
    pg.execute(
        "CREATE TABLE types (i2 SMALLINT, i4 INT, i8 BIGINT NOT NULL, f4 REAL, f8 DOUBLE PRECISION,"
        " n NUMERIC(12,3), nu NUMERIC, b BOOLEAN, t TEXT, vc VARCHAR(5), by BYTEA, d DATE, "
        "tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, j JSONB, u UUID, a INT[], na NUMERIC(5,1)[])",
        "INSERT INTO types VALUES (1, 2, 3, 1.5, 2.5, 12.345, 1.25, true, 'text', 'vc', '\\x0102',"
        " '2024-02-29', '12:34:56.789', '2024-01-01 10:00:00.123456', "
        "'2024-01-01 10:00:00+02', '{\"k\": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
        "'{1,2,3}', '{1.5,NULL}')",
    )
    (record,) = poll_all(start(pg.url, mode="bulk"))
    fields = {f.name: f.schema for f in record.value_schema.fields}
    kinds = {name: s.name or s.type for name, s in fields.items()}
    assert kinds == {
        "i2": api.INT16,
        "i4": api.INT32,
        "i8": api.INT64,
        "f4": api.FLOAT32,
        "f8": api.FLOAT64,
        "n": api.DECIMAL,
        "nu": api.FLOAT64,
        "b": api.BOOLEAN,
        "t": api.STRING,
        "vc": api.STRING,
        "by": api.BYTES,
        "d": api.DATE,
        "tm": api.TIME,
        "ts": api.TIMESTAMP,
        "tz": api.TIMESTAMP,
        "j": api.STRING,
        "u": api.STRING,
        "a": api.ARRAY,
        "na": api.ARRAY,
    }
    assert fields["n"].parameters == {"scale": "3", "connect.decimal.precision": "12"}
    assert not fields["i8"].optional and fields["i4"].optional
    assert fields["a"].value_schema.type == api.INT32
    assert fields["na"].value_schema.name == api.DECIMAL
    assert record.value == {
        "i2": 1,
        "i4": 2,
        "i8": 3,
        "f4": 1.5,
        "f8": 2.5,
        "n": Decimal("12.345"),
        "nu": 1.25,
        "b": True,
        "t": "text",
        "vc": "vc",
        "by": b"\x01\x02",
        "d": dt.date(2024, 2, 29),
        "tm": dt.time(12, 34, 56, 789000),
        "ts": dt.datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC),
        "tz": dt.datetime(2024, 1, 1, 8, tzinfo=UTC),
        "j": '{"k": [1, 2]}',
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "a": [1, 2, 3],
        "na": [Decimal("1.5"), None],
    }


def test_duckdb_types(tmp_path):
    db = open_database("duckdb", None, tmp_path)
    db.execute(
        "CREATE TABLE types (i1 TINYINT, h HUGEINT, f FLOAT, d DATE, tz TIMESTAMPTZ, "
        "l VARCHAR[], s STRUCT(x INT), u UUID)",
        "INSERT INTO types VALUES (1, 12345678901234567890, 0.5, '2024-01-01', "
        "'2024-01-01 10:00:00+00', ['a', 'b'], {'x': 1}, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')",
    )
    (record,) = poll_all(start(db.url, mode="bulk"))
    assert record.value == {
        "i1": 1,
        "h": Decimal(12345678901234567890),
        "f": 0.5,
        "d": dt.date(2024, 1, 1),
        "tz": dt.datetime(2024, 1, 1, 10, tzinfo=UTC),
        "l": ["a", "b"],
        "s": '{"x": 1}',
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    }


# ----------------------------------------------------------------------------- the task


def test_poll_waits_at_most_a_second_and_stop_ends_the_wait(pg):
    pg.execute("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
    task = start(
        pg.url, mode="incrementing", incrementing_column_name="id", poll_interval_ms=60_000
    )
    assert len(task.poll()) == 1
    began = time.monotonic()
    assert task.poll() == []
    assert 0.8 < time.monotonic() - began < 1.5
    threading.Timer(0.1, task.stop).start()
    began = time.monotonic()
    assert task.poll() == []
    assert time.monotonic() - began < 0.6
    assert task.poll() == []  # stopped: no more reads


def test_an_unreachable_database_is_a_retriable_error(postgres):
    task = start("jdbc:postgresql://127.0.0.1:1/nowhere?user=postgres&password=secret", mode="bulk")
    with pytest.raises(RetriableError) as error:
        task.poll()
    assert "secret" not in str(error.value) and "****" in str(error.value)
    task.stop()


def test_a_dropped_connection_is_retried(pg):
    pg.execute("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
    context = FakeSourceContext(connector_name="dropped")
    task = start(
        pg.url, context, mode="incrementing", incrementing_column_name="id", poll_interval_ms=0
    )
    assert len(poll_all(task, context)) == 1
    pg.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND datname = current_database()"
    )
    pg.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(RetriableError):
        task.poll()
    assert [r.value["id"] for r in poll_all(task, context)] == [2]
    task.stop()


def test_offset_order_per_mode(tmp_path):
    db = open_database("sqlite", None, tmp_path)
    offset = {"timestamp": 1_700_000_000_123, "timestamp_nanos": 123_456_789, "incrementing": 7}
    orders = {}
    for mode in ("bulk", "incrementing", "timestamp", "timestamp+incrementing"):
        task = start(db.url, mode=mode, incrementing_column_name="id", timestamp_column_name="ts")
        orders[mode] = task.offset_order({"table": "t"}, offset)
    assert orders == {
        "bulk": None,
        "incrementing": 7,
        "timestamp": 1_700_000_000_123_456_789,
        "timestamp+incrementing": (1_700_000_000_123_456_789, 7),
    }


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"connection.url": None, "mode": "bulk"},
            'Missing required configuration "connection.url" which has no default value.',
        ),
        ({"mode": None}, 'Missing required configuration "mode" which has no default value.'),
        (
            {"mode": "sometimes"},
            (
                "Invalid value sometimes for configuration mode: String must be one of: bulk, "
                "timestamp, incrementing, timestamp+incrementing"
            ),
        ),
        (
            {"mode": "timestamp"},
            (
                "Invalid value  for configuration timestamp.column.name: mode timestamp needs a "
                "timestamp column"
            ),
        ),
        (
            {"table.whitelist": "a", "table.blacklist": "b"},
            (
                "Invalid value b for configuration table.blacklist: table.whitelist and "
                "table.blacklist are exclusive"
            ),
        ),
        (
            {"query": "SELECT 1", "table.whitelist": "a"},
            (
                "Invalid value SELECT 1 for configuration query: a query cannot be combined with "
                "table.whitelist"
            ),
        ),
        (
            {"query": "SELECT 1", "topic.prefix": ""},
            "Invalid value  for configuration topic.prefix: a query needs the name of its topic",
        ),
        (
            {"table.include.list": "a(b"},  # (ConfigDef shows a list value as Python does)
            (
                "Invalid value ['a(b'] for configuration table.include.list: Must be a valid "
                "comma-separated list of regular expression patterns"
            ),
        ),
        (
            {"table.exclude.list": "x"},
            "Invalid value x for configuration table.exclude.list: it requires table.include.list",
        ),
        (
            {"topic.prefix": "a b"},
            "Invalid value a b for configuration topic.prefix: Topic prefix must not contain",
        ),
        (
            {"batch.max.rows": "0"},
            "Invalid value 0 for configuration batch.max.rows: Value must be at least 1",
        ),
        (
            {"poll.interval.ms": "soon"},
            "Invalid value soon for configuration poll.interval.ms: Not a number of type INT",
        ),
        (
            {"connection.url": "jdbc:mysql://u:pw@host/db"},
            (
                "Invalid value jdbc:mysql://u:****@host/db for configuration connection.url: no JDBC "
                "dialect for this URL"
            ),
        ),
    ],
)
def test_bad_configurations(config, message, tmp_path):
    props = {"connection.url": f"jdbc:sqlite:{tmp_path}/x.db", "mode": "bulk", "topic.prefix": "p"}
    props.update(config)
    props = {k: v for k, v in props.items() if v is not None}
    with pytest.raises(ConfigError) as error:
        JdbcSourceConnector().validate(props)
    assert str(error.value).startswith(message)


def test_the_connector_is_found_by_its_java_name():
    assert load_class("io.confluent.connect.jdbc.JdbcSourceConnector") is JdbcSourceConnector
    assert load_class("JdbcSourceConnector") is JdbcSourceConnector


@pytest.mark.parametrize(
    "url",
    [
        "jdbc:postgresql://127.0.0.1:{port}/{db}?user=postgres&ssl=false&ApplicationName=t",
        "postgresql://127.0.0.1:{port}/{db}",
        "postgres://postgres@127.0.0.1:{port}/{db}",
        "jdbc:postgresql://[::1]:{port},127.0.0.1:{port}/{db}?connectTimeout=1",
    ],
)
def test_postgres_url_forms(postgres, url):
    name = postgres.create_database("urls")
    with postgres.connect(name) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
    task = start(
        url.format(port=postgres.port, db=name),
        mode="bulk",
        connection_user="postgres",
        connection_password="unused",
    )
    assert [r.value for r in poll_all(task)] == [{"id": 1}]
    task.stop()


def test_file_url_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lite = sqlite3.connect(tmp_path / "rel.db")
    lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    lite.execute("INSERT INTO t VALUES (1)")
    lite.commit()
    lite.close()
    duck = duckdb.connect(str(tmp_path / "abs.duckdb"))
    duck.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    duck.execute("INSERT INTO t VALUES (2)")
    duck.close()
    for url in (
        "sqlite:///rel.db",
        f"sqlite:///{tmp_path}/rel.db",
        "jdbc:sqlite:rel.db",
        f"duckdb:///{tmp_path}/abs.duckdb",
        f"jdbc:duckdb:{tmp_path}/abs.duckdb",
    ):
        task = start(url, mode="bulk")
        assert len(poll_all(task)) == 1, url
        task.stop()
