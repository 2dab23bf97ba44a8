"""The JDBC sink connector against real databases: PostgreSQL (the session server), SQLite and
DuckDB files. Tasks are driven directly with a fake context standing in for the runtime."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from ksql import types as ksql_types
from ksql.connect import api
from ksql.connect.api import (
    ConfigError,
    ConnectError,
    DataError,
    RetriableError,
    Schema,
    struct_schema,
)
from ksql.connect.jdbc import schemas
from ksql.connect.jdbc.sink import JdbcSinkConnector, JdbcSinkTask
from ksql.connect.plugins import load_class
from tests.connect.jdbc_fakes import Database, FakeSinkContext, open_database, record

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 1, 10, tzinfo=UTC)

ORDER = struct_schema(
    [
        ("id", Schema(api.INT64)),
        ("name", Schema(api.STRING, optional=True)),
        ("amount", schemas.decimal(2, 10)),
        ("ts", schemas.timestamp()),
    ]
)
KEY = Schema(api.INT64)


def start(url: str, context: FakeSinkContext | None = None, **config: Any) -> JdbcSinkTask:
    task = JdbcSinkTask()
    props = {"connection.url": url}
    props.update({k.replace("_", "."): str(v) for k, v in config.items()})
    task.start(props, context or FakeSinkContext())
    return task


def order(offset: int, key: int, name: str | None = "n", amount: Any = "1.50", **extra: Any):
    if isinstance(amount, str) and amount[0].isdigit():
        amount = Decimal(amount)
    value = {"id": key, "name": name, "amount": amount, "ts": T0 + dt.timedelta(seconds=key)}
    value.update(extra)
    return record("orders", key, value, offset, key_schema=KEY, value_schema=ORDER)


def tombstone(offset: int, key: int):
    return record("orders", key, None, offset, key_schema=KEY, value_schema=ORDER)


def write(task: JdbcSinkTask, records: list, partitions: int = 1) -> None:
    task.positions([("orders", p) for p in range(partitions)])
    task.put(records)
    task.flush({})


def table(db: Database, sql: str = "SELECT id, name, amount FROM orders ORDER BY id") -> list:
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in db.rows(sql)]


UPSERT = {
    "insert_mode": "upsert",
    "pk_mode": "record_key",
    "pk_fields": "id",
    "auto_create": "true",
}


# ----------------------------------------------------------------------------- modes


def test_insert_creates_the_table_and_writes_rows(db):
    task = start(db.url, pk_mode="none", auto_create="true")
    write(task, [order(i, i, f"n{i}") for i in range(3)])
    assert table(db) == [(0, "n0", 1.5), (1, "n1", 1.5), (2, "n2", 1.5)]
    ts = db.rows("SELECT ts FROM orders ORDER BY id")[1][0]
    assert str(ts).startswith("2024-01-01 10:00:01")
    task.stop()


def test_upsert_keeps_the_last_record_per_key(db):
    task = start(db.url, **UPSERT)
    write(task, [order(0, 1, "a"), order(1, 2, "b"), order(2, 1, "a2"), order(3, 3, "c")])
    write(task, [order(4, 2, "b2"), order(5, 4, "d")])
    assert table(db) == [(1, "a2", 1.5), (2, "b2", 1.5), (3, "c", 1.5), (4, "d", 1.5)]
    task.stop()


def test_update_changes_existing_rows_only(db):
    task = start(db.url, **UPSERT)
    write(task, [order(0, 1, "a"), order(1, 2, "b")])
    task.stop()
    task = start(db.url, **{**UPSERT, "insert_mode": "update"})
    write(task, [order(2, 1, "a2"), order(3, 9, "ghost")])
    assert table(db) == [(1, "a2", 1.5), (2, "b", 1.5)]
    task.stop()


def test_tombstones_delete_in_order_with_writes(db):
    task = start(db.url, **UPSERT, delete_enabled="true")
    write(task, [order(0, 1, "a"), order(1, 2, "b"), order(2, 3, "c")])
    # Deleted then written again; written then deleted; deleted only; written twice.
    write(
        task,
        [
            tombstone(3, 1),
            order(4, 1, "a2"),
            order(5, 2, "b2"),
            tombstone(6, 2),
            tombstone(7, 3),
            order(8, 4, "d"),
            order(9, 4, "d2"),
        ],
    )
    assert table(db) == [(1, "a2", 1.5), (4, "d2", 1.5)]
    task.stop()


def test_insert_mode_deletes_then_inserts_the_same_key(db):
    task = start(
        db.url, pk_mode="record_key", pk_fields="id", auto_create="true", delete_enabled="true"
    )
    write(task, [order(0, 1, "a")])
    write(task, [tombstone(1, 1), order(2, 1, "again")])
    assert table(db) == [(1, "again", 1.5)]
    task.stop()


def test_tombstones_are_skipped_when_deletes_are_off(pg):
    task = start(pg.url, **UPSERT)
    write(task, [order(0, 1, "a"), tombstone(1, 1)])
    assert table(pg) == [(1, "a", 1.5)]
    task.stop()


def test_struct_keys_make_a_composite_primary_key(pg):
    key_schema = struct_schema([("region", Schema(api.STRING)), ("id", Schema(api.INT32))])
    value_schema = struct_schema([("qty", Schema(api.INT32, optional=True))])
    task = start(pg.url, insert_mode="upsert", pk_mode="record_key", auto_create="true")

    def r(offset, region, key, qty):
        return record(
            "stock",
            {"region": region, "id": key},
            {"qty": qty},
            offset,
            key_schema=key_schema,
            value_schema=value_schema,
        )

    task.put([r(0, "eu", 1, 5), r(1, "us", 1, 6), r(2, "eu", 1, 7)])
    task.flush({})
    assert pg.rows("SELECT region, id, qty FROM stock ORDER BY region") == [
        ("eu", 1, 7),
        ("us", 1, 6),
    ]
    assert pg.rows(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
        "a.attnum = ANY(i.indkey) WHERE i.indrelid = 'stock'::regclass AND i.indisprimary "
        "ORDER BY 1"
    ) == [("id",), ("region",)]
    task.stop()


def test_kafka_coordinates_as_the_primary_key(pg):
    task = start(pg.url, insert_mode="upsert", pk_mode="kafka", auto_create="true")
    write(task, [order(5, 1, "a"), order(6, 1, "b")])
    assert pg.rows(
        "SELECT __connect_topic, __connect_partition, __connect_offset, name FROM orders ORDER BY 3"
    ) == [("orders", 0, 5, "a"), ("orders", 0, 6, "b")]
    task.stop()
    named = start(
        pg.url, pk_mode="kafka", pk_fields="t,p,o", auto_create="true", table_name_format="coords"
    )
    write(named, [order(7, 1)])
    assert pg.rows("SELECT t, p, o FROM coords") == [("orders", 0, 7)]
    named.stop()


@pytest.mark.parametrize("kind", ["postgresql", "duckdb"])
def test_record_value_fields_as_the_primary_key(kind, request, tmp_path):
    postgres = request.getfixturevalue("postgres") if kind == "postgresql" else None
    db = open_database(kind, postgres, tmp_path)
    task = start(
        db.url, insert_mode="upsert", pk_mode="record_value", pk_fields="id", auto_create="true"
    )
    write(task, [order(0, 1, "a"), order(1, 1, "b")])
    assert table(db) == [(1, "b", 1.5)]
    task.stop()


def test_fields_whitelist_and_table_name_format(pg):
    task = start(pg.url, **UPSERT, fields_whitelist="name", table_name_format="kafka_${topic}")
    write(task, [order(0, 1, "a")])
    assert pg.rows("SELECT * FROM kafka_orders") == [(1, "a")]
    task.stop()


def test_several_topics_and_partitions(pg):
    task = start(pg.url, pk_mode="kafka", auto_create="true", table_name_format="all_events")
    value = struct_schema([("v", Schema(api.STRING))])
    records = [
        record(topic, None, {"v": f"{topic}{p}{o}"}, o, partition=p, value_schema=value)
        for topic in ("a", "b")
        for p in (0, 1)
        for o in (0, 1)
    ]
    task.put(records)
    task.flush({})
    assert len(pg.rows("SELECT * FROM all_events")) == 8
    assert sorted(
        pg.rows('SELECT topic, "partition", next_offset FROM __ksql_connect_positions')
    ) == [("a", 0, 2), ("a", 1, 2), ("b", 0, 2), ("b", 1, 2)]
    task.stop()


# ----------------------------------------------------------------------------- tables


def test_a_missing_table_without_auto_create(pg):
    task = start(pg.url, pk_mode="none")
    with pytest.raises(
        ConnectError, match='Table "orders" is missing and auto-creation is disabled'
    ):
        write(task, [order(0, 1)])
    task.stop()


def test_auto_evolve_adds_new_fields(db):
    task = start(db.url, **UPSERT)
    write(task, [order(0, 1, "a")])
    wider = struct_schema([*[(f.name, f.schema) for f in ORDER.fields], ("qty", Schema(api.INT32))])
    newer = record(
        "orders",
        2,
        {"id": 2, "name": "b", "amount": Decimal(2), "ts": T0, "qty": 7},
        1,
        key_schema=KEY,
        value_schema=wider,
    )
    with pytest.raises(
        ConnectError,
        match=r'Table "orders" is missing fields \(qty\) and '
        "auto-evolution is disabled",
    ):
        write(task, [newer])
    task.stop()
    task = start(db.url, **UPSERT, auto_evolve="true")
    write(task, [newer])
    assert db.rows("SELECT id, qty FROM orders ORDER BY id") == [(1, None), (2, 7)]
    task.stop()


def test_postgres_column_types_of_created_tables(pg):
    value = struct_schema(
        [
            ("i8", Schema(api.INT8)),
            ("i16", Schema(api.INT16)),
            ("i32", Schema(api.INT32)),
            ("i64", Schema(api.INT64)),
            ("f32", Schema(api.FLOAT32)),
            ("f64", Schema(api.FLOAT64)),
            ("b", Schema(api.BOOLEAN)),
            ("s", Schema(api.STRING)),
            ("by", Schema(api.BYTES)),
            ("d", schemas.decimal(3, 12)),
            ("day", schemas.date()),
            ("tod", schemas.time()),
            ("ts", schemas.timestamp()),
            ("arr", schemas.array(Schema(api.INT32))),
            (
                "m",
                Schema(
                    api.MAP,
                    optional=True,
                    key_schema=Schema(api.STRING),
                    value_schema=Schema(api.INT32),
                ),
            ),
            ("st", struct_schema([("x", Schema(api.INT32))], optional=True)),
        ]
    )
    row = {
        "i8": 1,
        "i16": 2,
        "i32": 3,
        "i64": 4,
        "f32": 1.5,
        "f64": 2.5,
        "b": True,
        "s": "s",
        "by": b"\x00\x01",
        "d": Decimal("1.234"),
        "day": dt.date(2024, 2, 29),
        "tod": dt.time(1, 2, 3),
        "ts": T0,
        "arr": [1, 2],
        "m": {"a": 1},
        "st": {"x": 5},
    }
    task = start(pg.url, pk_mode="none", auto_create="true")
    task.put([record("types", None, row, 0, value_schema=value)])
    task.flush({})
    columns = pg.rows(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_name = 'types' ORDER BY ordinal_position"
    )
    assert [(c, t) for c, t, _ in columns] == [
        ("i8", "smallint"),
        ("i16", "smallint"),
        ("i32", "integer"),
        ("i64", "bigint"),
        ("f32", "real"),
        ("f64", "double precision"),
        ("b", "boolean"),
        ("s", "text"),
        ("by", "bytea"),
        ("d", "numeric"),
        ("day", "date"),
        ("tod", "time without time zone"),
        ("ts", "timestamp without time zone"),
        ("arr", "ARRAY"),
        ("m", "jsonb"),
        ("st", "jsonb"),
    ]
    assert {n for _, _, n in columns} == {"NO", "YES"}  # required fields are NOT NULL
    (stored,) = pg.rows("SELECT * FROM types")
    assert stored == (
        1,
        2,
        3,
        4,
        1.5,
        2.5,
        True,
        "s",
        b"\x00\x01",
        Decimal("1.234"),
        dt.date(2024, 2, 29),
        dt.time(1, 2, 3),
        T0.replace(tzinfo=None),
        [1, 2],
        {"a": 1},
        {"x": 5},
    )
    task.stop()


# ----------------------------------------------------------------------------- schemaless


def test_schemaless_records_match_existing_columns_ignoring_case(db):
    db.execute(
        "CREATE TABLE orders (ID INTEGER PRIMARY KEY, NAME VARCHAR(20), "
        "AMOUNT DECIMAL(10,2), TS TIMESTAMP)"
    )
    task = start(db.url, insert_mode="upsert", pk_mode="record_key", pk_fields="id")
    write(
        task,
        [
            record("orders", 1, {"name": "a", "amount": 1.25, "ts": 1_704_103_200_000}, 0),
            record("orders", 2, {"Name": "b", "AMOUNT": "2.50", "ts": "2024-01-01T10:00:00Z"}, 1),
        ],
    )
    assert table(db, "SELECT id, name, amount FROM orders ORDER BY id") == [
        (1, "a", 1.25),
        (2, "b", 2.5),
    ]
    stamps = [str(r[0]) for r in db.rows("SELECT ts FROM orders ORDER BY id")]
    assert all(s.startswith("2024-01-01 10:00:00") for s in stamps)
    task.stop()


KSQL_COLUMNS = [
    ("ID", ksql_types.BIGINT, True),
    ("NAME", ksql_types.STRING, False),
    ("AMOUNT", ksql_types.DecimalType(10, 2), False),
    ("TS", ksql_types.TIMESTAMP, False),
    ("TAGS", ksql_types.ArrayType(ksql_types.STRING), False),
]


def test_schemaless_auto_create_takes_the_ksql_columns(db):
    context = FakeSinkContext(columns={"orders": KSQL_COLUMNS})
    task = start(db.url, context, insert_mode="upsert", pk_mode="record_key", auto_create="true")
    write(
        task, [record("orders", 7, {"NAME": "x", "AMOUNT": "9.99", "TS": 0, "TAGS": ["a", "b"]}, 0)]
    )
    assert table(db, 'SELECT "ID", "NAME", "AMOUNT" FROM orders') == [(7, "x", 9.99)]
    (tags,) = db.rows('SELECT "TAGS" FROM orders')[0]
    assert (json.loads(tags) if isinstance(tags, str) else tags) == ["a", "b"]
    assert not context.reported
    task.stop()


def test_schemaless_auto_create_without_ksql_columns_is_refused(pg):
    task = start(
        pg.url, insert_mode="upsert", pk_mode="record_key", pk_fields="id", auto_create="true"
    )
    with pytest.raises(ConfigError, match='Cannot create table "orders": no type for id, name'):
        write(task, [record("orders", 1, {"name": "x"}, 0)])
    task.stop()


def test_a_primitive_key_needs_one_column_name(pg):
    task = start(pg.url, insert_mode="upsert", pk_mode="record_key", auto_create="true")
    with pytest.raises(
        ConfigError,
        match="Need exactly one PK column defined since the key "
        r"schema for records is a primitive type, defined "
        r"columns are: \[\]",
    ):
        write(task, [order(0, 1)])
    task.stop()


# ----------------------------------------------------------------------------- bad records


def test_a_value_that_does_not_convert_is_reported_and_the_rest_written(db):
    context = FakeSinkContext()
    task = start(db.url, context, **UPSERT)
    write(
        task,
        [
            order(0, 1, "a"),
            order(1, 2, "b", amount="lots"),
            order(2, 3, "c"),
            record("orders", 4, "not a struct", 3, key_schema=KEY),
        ],
    )
    assert table(db) == [(1, "a", 1.5), (3, "c", 1.5)]
    assert [(r.offset, type(e)) for r, e in context.reported] == [(1, DataError), (3, DataError)]
    assert "Column \"amount\": cannot convert 'lots' to DECIMAL(10, 2)" in str(
        context.reported[0][1]
    )
    task.stop()


def test_rows_the_database_rejects_are_found_and_reported(db):
    db.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, "
        "amount DECIMAL(10,2) CHECK (amount < 100), ts TIMESTAMP)"
    )
    context = FakeSinkContext()
    task = start(
        db.url, context, insert_mode="upsert", pk_mode="record_key", pk_fields="id", batch_size=10
    )  # batches on the writer thread: a rejection is found later
    records = [order(i, i, f"n{i}") for i in range(40)]
    records[7] = order(7, 7, None)  # NOT NULL
    records[23] = order(23, 23, "big", amount="500")  # CHECK
    write(task, records)
    assert sorted(r.offset for r, _ in context.reported) == [7, 23]
    assert all(isinstance(e, DataError) for _, e in context.reported)
    assert [r[0] for r in table(db)] == [i for i in range(40) if i not in (7, 23)]
    assert db.rows("SELECT next_offset FROM __ksql_connect_positions") == [(40,)]
    task.stop()


def test_numbers_out_of_a_column_range_are_reported_not_cut(db):
    db.execute("CREATE TABLE counts (id INTEGER PRIMARY KEY, small SMALLINT, n INTEGER)")
    context = FakeSinkContext()
    task = start(
        db.url,
        context,
        insert_mode="upsert",
        pk_mode="record_key",
        pk_fields="id",
        table_name_format="counts",
    )
    write(
        task,
        [
            record("orders", 1, {"small": 1, "n": 2**40}, 0),
            record("orders", 2, {"small": 2**20, "n": 1}, 1),
            record("orders", 3, {"small": 3, "n": 3}, 2),
        ],
    )
    if db.kind == "sqlite":  # SQLite's INTEGER holds 64 bits whatever the declared type
        assert db.rows("SELECT id FROM counts ORDER BY id") == [(1,), (2,), (3,)]
    else:
        assert db.rows("SELECT * FROM counts") == [(3, 3, 3)]
        assert [r.offset for r, _ in context.reported] == [0, 1]
        assert "out of range" in str(context.reported[0][1])
    task.stop()


def test_schemaless_values_are_converted_to_the_column_types(pg):
    pg.execute(
        "CREATE TABLE conv (id BIGINT PRIMARY KEY, b BOOLEAN, by BYTEA, d DATE, t TIME, "
        "ts TIMESTAMPTZ, f REAL, j JSONB, a INT[])"
    )
    context = FakeSinkContext()
    task = start(
        pg.url,
        context,
        insert_mode="upsert",
        pk_mode="record_key",
        pk_fields="id",
        table_name_format="conv",
    )
    write(
        task,
        [
            record(
                "orders",
                "1",
                {
                    "b": "true",
                    "by": "AAE=",
                    "d": 19782,
                    "t": 3_600_000,
                    "ts": "2024-02-29T12:00:00+02:00",
                    "f": 2,
                    "j": {"k": [1]},
                    "a": [1, "2"],
                },
                0,
            ),
            record("orders", 2, {"b": 1, "d": "2024-02-29", "t": "01:02:03", "ts": 0}, 1),
            record("orders", 3, {"b": "maybe"}, 2),
            record("orders", 4, {"f": True}, 3),
        ],
    )
    assert pg.rows("SELECT * FROM conv ORDER BY id") == [
        (
            1,
            True,
            b"\x00\x01",
            dt.date(2024, 2, 29),
            dt.time(1),
            dt.datetime(2024, 2, 29, 10, tzinfo=UTC),
            2.0,
            {"k": [1]},
            [1, 2],
        ),
        (
            2,
            True,
            None,
            dt.date(2024, 2, 29),
            dt.time(1, 2, 3),
            dt.datetime(1970, 1, 1, tzinfo=UTC),
            None,
            None,
            None,
        ),
    ]
    assert [(r.offset, str(e)) for r, e in context.reported] == [
        (2, "Column \"b\": cannot convert 'maybe' to BOOLEAN: expected true or false"),
        (3, 'Column "f": cannot convert True to FLOAT: a bool is not a number'),
    ]
    task.stop()


def test_reports_that_raise_leave_nothing_written(pg):
    context = FakeSinkContext(tolerate=False)
    task = start(pg.url, context, **UPSERT)
    with pytest.raises(DataError):
        write(task, [order(0, 1, "a"), order(1, 2, "b", amount="lots")])
    assert pg.rows("SELECT count(*) FROM orders") == [(0,)]
    task.stop()


def test_null_keys_are_reported(pg):
    context = FakeSinkContext()
    task = start(pg.url, context, **UPSERT)
    write(task, [order(0, 1, "a"), record("orders", None, {"id": 5}, 1, value_schema=ORDER)])
    assert [str(e) for _, e in context.reported] == ['Primary key column "id" is null']
    task.stop()


# ----------------------------------------------------------------------------- exactly once


def test_positions_are_stored_with_the_rows_and_nothing_is_written_twice(db):
    task = start(db.url, pk_mode="none", auto_create="true", batch_size=3)
    assert task.positions([("orders", 0)]) == {}
    task.put([order(i, i) for i in range(5)])  # a batch of 3 goes to the writer thread
    task.put([order(i, i) for i in range(3, 7)])  # 3 and 4 again: already buffered
    task.put([order(i, i) for i in range(5)])  # all again: 0-2 in flight or written
    # Batch 0-2 is committed (handing over 3-5 waited for it); 3-5 may still be on its way.
    assert db.rows(
        "SELECT connector, topic, partition, next_offset FROM __ksql_connect_positions"
    ) in ([("jdbc-sink", "orders", 0, 3)], [("jdbc-sink", "orders", 0, 6)])
    task.flush({("orders", 0): 8})  # offset 7 was filtered out upstream
    assert db.rows("SELECT count(*) FROM orders") == [(7,)]
    assert db.rows("SELECT next_offset FROM __ksql_connect_positions") == [(8,)]
    task.stop()
    again = start(db.url, pk_mode="none", auto_create="true")
    assert again.positions([("orders", 0), ("orders", 1)]) == {("orders", 0): 8}
    again.put([order(i, i) for i in range(6, 10)])  # the runtime rewound: 6 and 7 are skipped
    again.flush({})
    assert db.rows("SELECT count(*) FROM orders") == [(9,)]
    other = start(db.url, FakeSinkContext(connector_name="other"), pk_mode="none")
    assert other.positions([("orders", 0)]) == {}
    again.stop()
    other.stop()


def test_a_lost_connection_is_retriable_and_the_retry_writes_once(pg):
    task = start(pg.url, pk_mode="none", auto_create="true", batch_size=2)
    write(task, [order(0, 0)])
    pg.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND datname = current_database()"
    )
    batch = [order(i, i) for i in range(1, 5)]
    with pytest.raises(RetriableError):
        task.put(batch)
    task.put(batch)  # the runtime puts the same records again
    task.flush({})
    assert pg.rows("SELECT id FROM orders ORDER BY id") == [(i,) for i in range(5)]
    task.stop()


def test_an_unreachable_database_is_retriable(postgres):
    task = start("jdbc:postgresql://127.0.0.1:1/db?user=x&password=hush", pk_mode="none")
    with pytest.raises(RetriableError) as error:
        task.positions([("orders", 0)])
    assert "hush" not in str(error.value)


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"connection.url": None},
            'Missing required configuration "connection.url" which has no default value.',
        ),
        (
            {"delete.enabled": "true", "pk.mode": "record_value"},
            "Primary key mode must be 'record_key' when delete support is enabled",
        ),
        (
            {"insert.mode": "upsert"},
            "Invalid value upsert for configuration insert.mode: upsert writes by primary key",
        ),
        (
            {"insert.mode": "merge"},
            (
                "Invalid value merge for configuration insert.mode: String must be one of: insert, "
                "upsert, update"
            ),
        ),
        (
            {"pk.mode": "kafka", "pk.fields": "a,b"},
            "Invalid value a,b for configuration pk.fields: with pk.mode kafka give no field names",
        ),
        (
            {"batch.size": "0"},
            "Invalid value 0 for configuration batch.size: Value must be at least 1",
        ),
        (
            {"auto.create": "maybe"},
            (
                "Invalid value maybe for configuration auto.create: Expected value to be either true "
                "or false"
            ),
        ),
        (
            {"table.name.format": " "},
            "Invalid value   for configuration table.name.format: String may not be empty",
        ),
        (
            {"connection.url": "oracle:thin:@host"},
            "Invalid value oracle:thin:@host for configuration connection.url: no JDBC dialect",
        ),
        (
            {"connection.url": "sqlite:/x.db"},
            "Invalid value sqlite:/x.db for configuration connection.url: expected three slashes",
        ),
    ],
)
def test_bad_configurations(config, message, tmp_path):
    props = {"connection.url": f"jdbc:sqlite:{tmp_path}/x.db"}
    props.update(config)
    props = {k: v for k, v in props.items() if v is not None}
    with pytest.raises(ConfigError) as error:
        JdbcSinkConnector().validate(props)
    assert str(error.value).startswith(message)


def test_the_connector_runs_tasks_max_tasks():
    connector = load_class("io.confluent.connect.jdbc.JdbcSinkConnector")()
    assert isinstance(connector, JdbcSinkConnector) and connector.kind == "sink"
    connector.start({"connection.url": "jdbc:sqlite::memory:"})
    assert connector.task_configs(3) == [{"connection.url": "jdbc:sqlite::memory:"}] * 3
