"""The PostgreSQL CDC connector (Debezium's PostgresConnector) against a real server, its task
driven directly by a small stand-in for the runtime: snapshot then stream, tombstones,
transactions, table filters, restarts from stored offsets, crashes before commit(), type
mapping, configuration errors, and slots and publications that already exist."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import psycopg
import pytest

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectError, SourceTaskContext
from ksql.connect.debezium.postgres_source import PostgresConnector, PostgresSourceTask
from ksql.connect.plugins import load_class


class Context(SourceTaskContext):
    def __init__(self, stored=None):
        self.stored = stored

    def offset(self, source_partition):
        return self.stored


class Runtime:
    """Stands in for the connect runtime: polls, 'writes' records, stores the last offset and
    calls commit(), as the worker does after records are in their topics."""

    def __init__(self, config):
        self.config = config
        self.written: list[api.SourceRecord] = []
        self.stored = None
        self.task: PostgresSourceTask | None = None

    def start(self):
        self.task = PostgresSourceTask()
        self.task.start(self.config, Context(self.stored))
        return self.task

    def read(self, count, *, commit=True, timeout=15.0):
        """Poll until `count` more records came; then check nothing else follows."""
        got: list[api.SourceRecord] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            assert time.monotonic() < deadline, f"got {len(got)} of {count}: {got}"
            batch = self.task.poll()
            got += batch
            if batch and commit:
                self.written += batch
                self.stored = dict(batch[-1].source_offset)
                self.task.commit()
        assert len(got) == count, got
        assert self.quiet(commit=commit)
        return got

    def quiet(self, commit=True):
        extra = self.task.poll() + self.task.poll()
        if extra and commit:
            self.task.commit()
        return not extra or pytest.fail(f"unexpected records: {extra}")

    def stop(self):
        self.task.stop()


@pytest.fixture
def pg(postgres):
    """A fresh database, its connection and a connector configuration for it; the test's
    replication slots are dropped afterwards."""
    db = postgres.create_database("cdc")
    conn = postgres.connect(db)
    config = {
        "database.hostname": "127.0.0.1", "database.port": str(postgres.port),
        "database.user": "postgres", "database.dbname": db, "topic.prefix": "srv",
        "plugin.name": "pgoutput", "slot.name": f"slot_{db}", "poll.interval.ms": "100",
    }  # fmt: skip
    yield conn, config
    conn.execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
        "WHERE database = %s AND NOT active",
        (db,),
    )
    conn.close()


def confirmed_lsn(conn, config):
    (lsn,) = conn.execute(
        "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = %s",
        (config["slot.name"],),
    ).fetchone()
    return int(lsn)


def ops(records):
    """(op or 'tombstone', key, after or before) per record."""
    out = []
    for r in records:
        if r.value is None:
            out.append(("tombstone", r.key, None))
        else:
            v = r.value
            out.append((v["op"], r.key, v["after"] if v["after"] is not None else v["before"]))
    return out


def test_snapshot_then_inserts_updates_deletes_in_order(pg):
    conn, config = pg
    conn.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, city text)")
    conn.execute("INSERT INTO customers VALUES (1, 'ann', 'rome'), (2, 'bob', NULL)")
    runtime = Runtime(config)
    runtime.start()
    snapshot = runtime.read(2)
    assert ops(snapshot) == [
        ("r", {"id": 1}, {"id": 1, "name": "ann", "city": "rome"}),
        ("r", {"id": 2}, {"id": 2, "name": "bob", "city": None}),
    ]
    assert [r.value["source"]["snapshot"] for r in snapshot] == ["true", "last"]
    first = snapshot[0]
    assert first.topic == "srv.public.customers"
    assert first.source_partition == {"server": "srv"}
    assert first.key_schema.name == "srv.public.customers.Key"
    assert first.value_schema.name == "srv.public.customers.Envelope"
    assert [f.name for f in first.value_schema.fields] == [
        "before", "after", "source", "op", "ts_ms", "transaction",
    ]  # fmt: skip
    value_schema = first.value_schema.field("after").schema
    assert value_schema.name == "srv.public.customers.Value"
    assert [(f.name, f.schema.type, f.schema.optional) for f in value_schema.fields] == [
        ("id", "int32", False), ("name", "string", False), ("city", "string", True),
    ]  # fmt: skip

    conn.execute("INSERT INTO customers VALUES (3, 'cid', 'oslo')")
    conn.execute("UPDATE customers SET city = 'paris' WHERE id = 1")
    conn.execute("DELETE FROM customers WHERE id = 2")
    changes = runtime.read(4)
    assert ops(changes) == [
        ("c", {"id": 3}, {"id": 3, "name": "cid", "city": "oslo"}),
        ("u", {"id": 1}, {"id": 1, "name": "ann", "city": "paris"}),
        ("d", {"id": 2}, {"id": 2, "name": "", "city": None}),  # key-only old row
        ("tombstone", {"id": 2}, None),
    ]
    update = changes[1].value
    assert update["before"] is None  # REPLICA IDENTITY DEFAULT: no old row for updates
    source = update["source"]
    assert source["connector"] == "postgresql" and source["name"] == "srv"
    assert (source["db"], source["schema"], source["table"]) == (
        config["database.dbname"],
        "public",
        "customers",
    )
    assert source["snapshot"] == "false" and source["txId"] > 0 and source["lsn"] > 0
    assert changes[3].value_schema is None and changes[3].key_schema is not None
    orders = [runtime.task.offset_order({}, r.source_offset) for r in snapshot + changes]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    runtime.stop()


def test_primary_key_change_is_a_delete_a_tombstone_and_a_create(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    runtime = Runtime({**config, "snapshot.mode": "never"})
    runtime.start()
    conn.execute("INSERT INTO t VALUES (1, 'a')")
    conn.execute("UPDATE t SET id = 2 WHERE id = 1")
    assert ops(runtime.read(4)) == [
        ("c", {"id": 1}, {"id": 1, "v": "a"}),
        ("d", {"id": 1}, {"id": 1, "v": None}),
        ("tombstone", {"id": 1}, None),
        ("c", {"id": 2}, {"id": 2, "v": "a"}),
    ]
    runtime.stop()


def test_no_tombstones_when_disabled_and_truncate_when_not_skipped(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    runtime = Runtime({
        **config, "snapshot.mode": "never", "tombstones.on.delete": "false",
        "skipped.operations": "none",
    })  # fmt: skip
    runtime.start()
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("DELETE FROM t")
    conn.execute("TRUNCATE t")
    records = runtime.read(3)
    assert [r.value["op"] for r in records] == ["c", "d", "t"]
    truncate = records[2]
    assert truncate.key is None and truncate.value["before"] is None
    runtime.stop()


def test_a_transaction_spanning_two_tables(pg):
    conn, config = pg
    conn.execute("CREATE TABLE a (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE b (id int PRIMARY KEY)")
    runtime = Runtime({**config, "snapshot.mode": "never"})
    runtime.start()
    with conn.transaction():
        conn.execute("INSERT INTO a VALUES (1)")
        conn.execute("INSERT INTO b VALUES (10)")
        conn.execute("INSERT INTO a VALUES (2)")
    conn.execute("INSERT INTO b VALUES (11)")
    records = runtime.read(4)
    assert [(r.topic, r.key["id"]) for r in records] == [
        ("srv.public.a", 1), ("srv.public.b", 10), ("srv.public.a", 2), ("srv.public.b", 11),
    ]  # fmt: skip
    tx = [r.value["source"]["txId"] for r in records]
    assert tx[0] == tx[1] == tx[2] != tx[3]
    assert [r.source_offset["seq"] for r in records] == [1, 2, 3, 1]
    assert len({r.source_offset["lsn"] for r in records[:3]}) == 1
    runtime.stop()


def test_table_include_and_exclude_lists(pg):
    conn, config = pg
    conn.execute("CREATE SCHEMA other")
    for table in ("public.keep", "public.skip_me", "other.keep"):
        conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY)")
        conn.execute(f"INSERT INTO {table} VALUES (1)")
    runtime = Runtime({**config, "table.include.list": "public\\.keep,OTHER\\..*"})
    runtime.start()
    snapshot = runtime.read(2)
    assert sorted(r.topic for r in snapshot) == ["srv.other.keep", "srv.public.keep"]
    for table in ("public.keep", "public.skip_me", "other.keep"):
        conn.execute(f"INSERT INTO {table} VALUES (2)")
    assert sorted(r.topic for r in runtime.read(2)) == ["srv.other.keep", "srv.public.keep"]
    runtime.stop()

    excluded = Runtime({
        **config, "table.exclude.list": "public\\.skip.*", "slot.name": config["slot.name"] + "x",
    })  # fmt: skip
    excluded.start()
    assert sorted(r.topic for r in excluded.read(4)) == [
        "srv.other.keep", "srv.other.keep", "srv.public.keep", "srv.public.keep",
    ]  # fmt: skip
    excluded.stop()


def test_filtered_publication_lists_only_included_tables(pg):
    conn, config = pg
    conn.execute("CREATE TABLE keep (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE skip (id int PRIMARY KEY)")
    runtime = Runtime({
        **config, "table.include.list": "public.keep", "publication.autocreate.mode": "filtered",
        "publication.name": "only_keep", "snapshot.mode": "never",
    })  # fmt: skip
    runtime.start()
    tables = conn.execute(
        "SELECT tablename FROM pg_publication_tables WHERE pubname = 'only_keep'"
    ).fetchall()
    assert tables == [("keep",)]
    conn.execute("INSERT INTO skip VALUES (1)")
    conn.execute("INSERT INTO keep VALUES (1)")
    assert [r.topic for r in runtime.read(1)] == ["srv.public.keep"]
    runtime.stop()


def test_restart_from_stored_offset_loses_and_repeats_nothing(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t SELECT generate_series(1, 3)")
    runtime = Runtime({**config, "max.batch.size": "2"})
    runtime.start()
    runtime.read(3)
    with conn.transaction():  # one transaction read over three polls
        conn.execute("INSERT INTO t SELECT generate_series(4, 8)")
    conn.execute("INSERT INTO t VALUES (9)")
    batch = []
    while len(batch) < 2:
        batch += runtime.task.poll()
    runtime.written += batch
    runtime.stored = dict(batch[-1].source_offset)  # written and stored mid-transaction
    runtime.task.commit()
    runtime.stop()
    conn.execute("INSERT INTO t VALUES (10)")

    runtime.start()
    assert [r.key["id"] for r in runtime.read(5)] == [6, 7, 8, 9, 10]
    assert [r.key["id"] for r in runtime.written] == list(range(1, 11))
    runtime.stop()


def test_crash_before_commit_reads_the_changes_again(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    runtime = Runtime({**config, "snapshot.mode": "never"})
    runtime.start()
    conn.execute("INSERT INTO t VALUES (1)")
    (first,) = runtime.read(1)  # written, stored, committed: acknowledged to the slot
    assert confirmed_lsn(conn, config) > first.source_offset["lsn"]
    conn.execute("INSERT INTO t VALUES (2)")
    conn.execute("INSERT INTO t VALUES (3)")
    lost = runtime.read(2, commit=False)  # polled, then the worker dies before writing them
    assert confirmed_lsn(conn, config) <= lost[0].source_offset["lsn"]
    runtime.stop()

    runtime.start()
    again = runtime.read(2)
    assert [r.key for r in again] == [r.key for r in lost] == [{"id": 2}, {"id": 3}]
    assert [r.source_offset for r in again] == [r.source_offset for r in lost]
    runtime.stop()


def test_lost_connections_resume_after_the_last_record_returned(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    runtime = Runtime({**config, "snapshot.mode": "never", "max.batch.size": "2"})
    task = runtime.start()
    with conn.transaction():
        conn.execute("INSERT INTO t SELECT generate_series(1, 5)")
    got = []
    while len(got) < 2:
        got += task.poll()  # returned, not committed: the slot still holds the transaction
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'ksql-debezium' AND datname = current_database()"
    )
    conn.execute("INSERT INTO t VALUES (6)")
    failures, deadline = 0, time.monotonic() + 15
    while len(got) < 6 and time.monotonic() < deadline:
        try:
            got += task.poll()
        except api.RetriableError:
            failures += 1
    assert failures >= 1
    assert [r.key["id"] for r in got] == [1, 2, 3, 4, 5, 6]
    assert runtime.quiet()
    runtime.stop()


def test_crash_with_nothing_stored_takes_a_snapshot_ordered_after_what_was_written(pg):
    """Records written before any offset was stored cannot be matched row by row against a
    new snapshot, so the new one orders after them: the runtime skips none of it."""
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    runtime = Runtime(config)
    task = runtime.start()
    written = runtime.read(1, commit=False)  # the snapshot, written, its offset not stored
    conn.execute("INSERT INTO t VALUES (2)")
    written += runtime.read(1, commit=False)
    runtime.stop()

    task = runtime.start()
    again = runtime.read(2)  # the new snapshot has row 2; its insert is not streamed again
    assert ops(again) == [("r", {"id": 1}, {"id": 1}), ("r", {"id": 2}, {"id": 2})]
    last_written = max(task.offset_order({}, r.source_offset) for r in written)
    assert all(task.offset_order({}, r.source_offset) > last_written for r in again)
    runtime.stop()


@pytest.mark.parametrize("rows", [0, 4])  # no row, and exactly two full batches
def test_snapshot_ends_at_a_batch_boundary_then_streams(pg, rows):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t SELECT generate_series(1, %s)", (rows,))
    runtime = Runtime({**config, "max.batch.size": "2"})
    runtime.start()
    snapshot = runtime.read(rows)
    assert [r.value["source"]["snapshot"] for r in snapshot[-1:]] == ["last"] * min(rows, 1)
    conn.execute("INSERT INTO t VALUES (100)")
    assert ops(runtime.read(1)) == [("c", {"id": 100}, {"id": 100})]
    runtime.stop()


def test_restart_in_the_middle_of_the_snapshot_takes_it_again(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t SELECT generate_series(1, 5)")
    runtime = Runtime({**config, "max.batch.size": "2"})
    task = runtime.start()
    batch = task.poll()
    runtime.stored = dict(batch[-1].source_offset)
    runtime.stop()
    conn.execute("INSERT INTO t VALUES (6)")  # the new snapshot is at a later LSN
    task = runtime.start()
    again = runtime.read(6)
    assert [r.value["op"] for r in again] == ["r"] * 6
    old = task.offset_order({}, batch[-1].source_offset)
    assert all(task.offset_order({}, r.source_offset) > old for r in again)
    runtime.stop()


def test_existing_slot_and_publication_with_changes_around_the_snapshot(pg):
    """Changes that entered the slot before the snapshot are in the snapshot and not emitted
    again; a transaction open during the snapshot is not in it and is streamed."""
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    conn.execute("CREATE PUBLICATION mine FOR TABLE t")
    conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')",
                 (config["slot.name"],))  # fmt: skip
    conn.execute("INSERT INTO t VALUES (1, 'before the task')")
    with psycopg.connect(conn.info.dsn) as other:  # a transaction open across the snapshot
        other.execute("INSERT INTO t VALUES (2, 'open during the snapshot')")
        runtime = Runtime({
            **config, "publication.name": "mine", "publication.autocreate.mode": "disabled",
        })  # fmt: skip
        runtime.start()
        assert ops(runtime.read(1)) == [("r", {"id": 1}, {"id": 1, "v": "before the task"})]
        other.commit()
    conn.execute("UPDATE t SET v = 'after' WHERE id = 1")
    assert ops(runtime.read(2)) == [
        ("c", {"id": 2}, {"id": 2, "v": "open during the snapshot"}),
        ("u", {"id": 1}, {"id": 1, "v": "after"}),
    ]
    runtime.stop()


def test_snapshot_never_streams_from_the_slot_and_initial_only_never_streams(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    only = Runtime({**config, "snapshot.mode": "initial_only"})
    only.start()
    assert ops(only.read(1)) == [("r", {"id": 1}, {"id": 1})]
    conn.execute("INSERT INTO t VALUES (2)")
    assert only.quiet()
    only.stop()
    slots = conn.execute("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s",
                         (config["slot.name"],)).fetchone()  # fmt: skip
    assert slots == (0,)

    never = Runtime({**config, "snapshot.mode": "never"})
    never.start()
    assert never.quiet()
    conn.execute("INSERT INTO t VALUES (3)")
    assert ops(never.read(1)) == [("c", {"id": 3}, {"id": 3})]
    never.stop()


def test_replica_identity_full_and_unchanged_toast(pg):
    conn, config = pg
    conn.execute("CREATE TABLE full_row (id int PRIMARY KEY, v text, n int)")
    conn.execute("ALTER TABLE full_row REPLICA IDENTITY FULL")
    conn.execute("CREATE TABLE toasted (id int PRIMARY KEY, big text, n int)")
    conn.execute("ALTER TABLE toasted ALTER COLUMN big SET STORAGE EXTERNAL")
    runtime = Runtime({**config, "snapshot.mode": "never"})
    runtime.start()
    conn.execute("INSERT INTO full_row VALUES (1, 'a', 1)")
    conn.execute("UPDATE full_row SET n = 2")
    conn.execute("DELETE FROM full_row")
    records = runtime.read(4)
    assert records[1].value["before"] == {"id": 1, "v": "a", "n": 1}
    assert records[2].value["before"] == {"id": 1, "v": "a", "n": 2}

    conn.execute("INSERT INTO toasted VALUES (1, repeat('x', 10000), 1)")
    conn.execute("UPDATE toasted SET n = 2")
    insert, update = runtime.read(2)
    assert insert.value["after"]["big"] == "x" * 10000
    assert update.value["after"] == {"id": 1, "big": "__debezium_unavailable_value", "n": 2}
    runtime.stop()


TYPES_TABLE = """CREATE TABLE types (
    id bigint PRIMARY KEY, small smallint, flag boolean, price numeric(10, 2), free numeric,
    real4 real, double8 double precision, name varchar(20), fixed char(3), born date,
    at timestamp, at_ms timestamp(3), at_tz timestamptz, clock time, blob bytea, doc jsonb,
    js json, uid uuid, mood mood, tags text[], span interval
)"""
TYPES_ROW = (
    "INSERT INTO types VALUES (%s, 7, true, 12.50, 3.14159, 1.5, 2.25, 'ann', 'ab', "
    "'2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.123', "
    "'2024-02-29 13:14:15.5+02', '13:14:15.25', '\\x00ff', '{\"a\": [1, 2]}', '{\"b\":1}', "
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'sad', '{x,\"y z\",NULL}', '1 day 2 hours')"
)


EPOCH = dt.datetime(1970, 1, 1)
MICROSECOND, MILLISECOND = dt.timedelta(microseconds=1), dt.timedelta(milliseconds=1)


def test_type_mapping_in_snapshot_and_stream(pg):
    conn, config = pg
    conn.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
    conn.execute(TYPES_TABLE)
    conn.execute(TYPES_ROW, (1,))
    runtime = Runtime(config)
    runtime.start()
    (snapshot,) = runtime.read(1)
    conn.execute(TYPES_ROW, (2,))
    (streamed,) = runtime.read(1)
    expected = {
        "small": 7, "flag": True, "price": Decimal("12.50"),
        "free": {"scale": 5, "value": (314159).to_bytes(3, "big", signed=True)},
        "real4": 1.5, "double8": 2.25, "name": "ann", "fixed": "ab ",
        "born": (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days,
        "at": (dt.datetime(2024, 2, 29, 13, 14, 15, 123456) - EPOCH) // MICROSECOND,
        "at_ms": (dt.datetime(2024, 2, 29, 13, 14, 15, 123000) - EPOCH) // MILLISECOND,
        "at_tz": "2024-02-29T11:14:15.5Z", "clock": (13 * 3600 + 14 * 60 + 15) * 10**6 + 250000,
        "blob": b"\x00\xff", "doc": '{"a": [1, 2]}', "js": '{"b":1}',
        "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "mood": "sad",
        "tags": ["x", "y z", None], "span": (26 * 3600) * 10**6,
    }  # fmt: skip
    for record, key in ((snapshot, 1), (streamed, 2)):
        assert record.value["after"] == {"id": key, **expected}
    schema = {f.name: f.schema for f in streamed.value_schema.field("after").schema.fields}
    names = {name: (s.type, s.name) for name, s in schema.items()}
    assert names == {
        "id": ("int64", None), "small": ("int16", None), "flag": ("boolean", None),
        "price": ("bytes", "org.apache.kafka.connect.data.Decimal"),
        "free": ("struct", "io.debezium.data.VariableScaleDecimal"),
        "real4": ("float", None), "double8": ("double", None), "name": ("string", None),
        "fixed": ("string", None), "born": ("int32", "io.debezium.time.Date"),
        "at": ("int64", "io.debezium.time.MicroTimestamp"),
        "at_ms": ("int64", "io.debezium.time.Timestamp"),
        "at_tz": ("string", "io.debezium.time.ZonedTimestamp"),
        "clock": ("int64", "io.debezium.time.MicroTime"), "blob": ("bytes", None),
        "doc": ("string", "io.debezium.data.Json"), "js": ("string", "io.debezium.data.Json"),
        "uid": ("string", "io.debezium.data.Uuid"), "mood": ("string", "io.debezium.data.Enum"),
        "tags": ("array", None), "span": ("int64", "io.debezium.time.MicroDuration"),
    }  # fmt: skip
    assert schema["price"].parameters == {"scale": "2", "connect.decimal.precision": "10"}
    assert schema["mood"].parameters == {"allowed": "happy,sad"}
    assert schema["tags"].value_schema.type == "string"
    runtime.stop()


def test_decimal_and_time_modes(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, n numeric(6, 3), d date, ts timestamp)")
    conn.execute("INSERT INTO t VALUES (1, 1.5, '2024-01-02', '2024-01-02 03:04:05.678')")
    runtime = Runtime({
        **config, "decimal.handling.mode": "string", "time.precision.mode": "connect",
    })  # fmt: skip
    runtime.start()
    (record,) = runtime.read(1)
    assert record.value["after"] == {
        "id": 1, "n": "1.500", "d": dt.date(2024, 1, 2),
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, dt.UTC),
    }  # fmt: skip
    runtime.stop()
    doubles = Runtime({**config, "decimal.handling.mode": "double", "slot.name": "dbl_slot"})
    doubles.start()
    assert doubles.read(1)[0].value["after"]["n"] == 1.5
    doubles.stop()


BASE = {
    "database.hostname": "127.0.0.1", "database.user": "postgres", "database.dbname": "x",
    "topic.prefix": "srv",
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"database.hostname": None}, 'Missing required configuration "database.hostname"'),
        ({"topic.prefix": None}, 'Missing required configuration "topic.prefix"'),
        ({"plugin.name": "decoderbufs"}, "only PostgreSQL's built-in 'pgoutput'"),
        ({"snapshot.mode": "sometimes"}, "configuration snapshot.mode: String must be one of"),
        ({"slot.name": "Bad-Slot"}, "configuration slot.name: a slot name is"),
        ({"table.include.list": "a(("}, "table.include.list: not a regular expression"),
        ({"table.include.list": "a", "table.exclude.list": "b"}, "cannot be used at the same"),
        ({"database.port": "many"}, "Invalid value many for configuration database.port"),
        ({"skipped.operations": "x"}, "'x' is not one of c, u, d, t, none"),
        ({"publication.autocreate.mode": "some"}, "publication.autocreate.mode"),
        ({"topic.prefix": "a b"}, "Topic prefix may contain only"),
    ],
)
def test_bad_configurations_raise_a_clear_config_error(change, message):
    config = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        PostgresConnector().validate(config)


def test_server_problems_are_reported_clearly(pg, postgres):
    conn, config = pg
    with pytest.raises(ConfigError, match="Cannot connect to PostgreSQL at 127.0.0.1:1/"):
        PostgresConnector().validate({**config, "database.port": "1"})
    PostgresConnector().validate({**config, "database.server.name": "old", "topic.prefix": ""})
    task = PostgresSourceTask()
    with pytest.raises(ConnectError, match="Publication 'nope' does not exist"):
        task.start({**config, "publication.name": "nope",
                    "publication.autocreate.mode": "disabled"}, Context())  # fmt: skip
    conn.execute("SELECT pg_create_logical_replication_slot('taken', 'test_decoding')")
    with pytest.raises(ConnectError, match="exists for plugin 'test_decoding'"):
        PostgresSourceTask().start({**config, "slot.name": "taken"}, Context())
    conn.execute("SELECT pg_drop_replication_slot('taken')")


def test_one_x_property_names_and_plugin_lookup(pg):
    conn, config = pg
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    old = {k: v for k, v in config.items() if k != "topic.prefix"}
    runtime = Runtime({
        **old, "database.server.name": "legacy", "table.whitelist": "public.t",
        "slot.drop.on.stop": "true",
    })  # fmt: skip
    runtime.start()
    assert [r.topic for r in runtime.read(1)] == ["legacy.public.t"]
    runtime.stop()
    slots = conn.execute("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s",
                         (config["slot.name"],)).fetchone()  # fmt: skip
    assert slots == (0,)
    connector = load_class("io.debezium.connector.postgresql.PostgresConnector")
    assert connector is PostgresConnector and connector.task_class is PostgresSourceTask
    assert load_class("ExtractNewRecordState").__name__ == "ExtractNewRecordState"


def test_stop_while_polling_returns_promptly(pg):
    _, config = pg
    runtime = Runtime({**config, "snapshot.mode": "never", "poll.interval.ms": "2000"})
    task = runtime.start()
    task.poll()
    thread = threading.Thread(target=task.poll)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    task.stop()
    thread.join()
    assert time.monotonic() - started < 1.0
    assert task.poll() == []
