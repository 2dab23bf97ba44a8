"""End-to-end behaviour of the Engine facade, as a user of the Python API sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.errors import KsqlError, ParseError
from ksql.results import CommandResult, RowsResult

STREAM = (
    "CREATE STREAM orders (id INT KEY, item STRING, qty INT) "
    "WITH (kafka_topic='orders', partitions=1, value_format='JSON');"
)


def values_of(engine: Engine, topic: str) -> list:
    return [json.loads(r["value"]) for r in engine.read_topic(topic).to_pylist()]


def test_persistent_query_filters_and_projects(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.execute(
            "INSERT INTO orders (id, item, qty) VALUES (1, 'apple', 3);"
            "INSERT INTO orders (id, item, qty) VALUES (2, 'pear', 12);"
        )
        [result] = engine.execute("CREATE STREAM big AS SELECT id, UCASE(item) AS item, qty * 2 AS double_qty FROM orders WHERE qty > 10;")
        assert isinstance(result, CommandResult) and result.query_id == "CSAS_BIG_0"
        engine.run_until_idle()
        assert values_of(engine, "BIG") == [{"ITEM": "PEAR", "DOUBLE_QTY": 24}]
        [row] = engine.read_topic("BIG").to_pylist()
        assert row["key"] == (2).to_bytes(4, "big")


def test_bad_record_goes_to_processing_log_and_query_goes_on(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.execute("CREATE STREAM copy AS SELECT * FROM orders;")
        engine.produce("orders", (1).to_bytes(4, "big"), b"{not json", 10)
        engine.produce("orders", (2).to_bytes(4, "big"), b'{"ITEM": "fig", "QTY": 1}', 11)
        engine.run_until_idle()
        assert values_of(engine, "COPY") == [{"ITEM": "fig", "QTY": 1}]
        errors = engine.processing_log.errors_for("CSAS_COPY_0")
        assert len(errors) == 1 and errors[0].offset == 0


def test_restart_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    engine = Engine(tmp_path, properties={"auto.offset.reset": "earliest"})
    engine.execute(STREAM)
    engine.execute("CREATE STREAM copy AS SELECT * FROM orders;")
    engine.execute("INSERT INTO orders (id, item, qty) VALUES (1, 'a', 1);")
    engine.run_until_idle()
    engine.close()

    engine = Engine(tmp_path)
    assert "COPY" in engine.catalog.sources and "CSAS_COPY_0" in engine.catalog.queries
    engine.execute("INSERT INTO orders (id, item, qty) VALUES (2, 'b', 2);")
    engine.run_until_idle()
    assert [v["ITEM"] for v in values_of(engine, "COPY")] == ["a", "b"]
    engine.close()


def test_push_query_yields_rows_until_limit(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(STREAM)
        for i in range(3):
            engine.execute(f"INSERT INTO orders (id, item, qty) VALUES ({i}, 'x{i}', {i});")
        [result] = engine.execute(
            "SELECT id, item FROM orders EMIT CHANGES LIMIT 2;", properties={"auto.offset.reset": "earliest"}
        )
        assert isinstance(result, RowsResult)
        assert [c.name for c in result.columns] == ["ID", "ITEM"]
        assert list(result.rows) == [[0, "x0"], [1, "x1"]]


def test_parse_error_has_position(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        with pytest.raises(ParseError) as info:
            engine.execute("CREATE STREAM s (id INT KEY, v STRING)\nWITH (kafka_topic='s', value_format='JSON') AS;")
        assert info.value.line == 2


def test_unknown_column_is_a_clear_error(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(STREAM)
        with pytest.raises(KsqlError, match="SELECT column 'NOPE' cannot be resolved"):
            engine.execute("CREATE STREAM x AS SELECT id, nope FROM orders;")


def test_group_by_counts_per_record_and_survives_restart(tmp_path: Path) -> None:
    ddl = "CREATE TABLE totals AS SELECT item, COUNT(*) AS n, SUM(qty) AS qty FROM orders GROUP BY item;"
    per_record = {"auto.offset.reset": "earliest", "ksql.streams.cache.max.bytes.buffering": "0"}
    with Engine(tmp_path, properties=per_record) as engine:
        engine.execute(STREAM)
        engine.execute(
            "INSERT INTO orders (id, item, qty) VALUES (1, 'apple', 3);"
            "INSERT INTO orders (id, item, qty) VALUES (2, 'apple', 4);"
        )
        engine.execute(ddl)
        engine.run_until_idle()
        assert values_of(engine, "TOTALS") == [{"N": 1, "QTY": 3}, {"N": 2, "QTY": 7}]
    # A restart resumes from committed offsets and stored aggregates: nothing counted twice.
    with Engine(tmp_path) as engine:
        engine.execute("INSERT INTO orders (id, item, qty) VALUES (3, 'apple', 5);")
        engine.run_until_idle()
        assert values_of(engine, "TOTALS")[-1] == {"N": 3, "QTY": 12}
        assert len(values_of(engine, "TOTALS")) == 3


def test_record_cache_emits_each_key_once_per_batch(tmp_path: Path) -> None:
    """ksqlDB's default record cache: updates to one key within a commit collapse into one
    output record; `cache.max.bytes.buffering` = 0 emits every update."""
    ddl = "CREATE TABLE totals AS SELECT item, COUNT(*) AS n, SUM(qty) AS qty FROM orders GROUP BY item;"
    inserts = "".join(
        f"INSERT INTO orders (id, item, qty) VALUES ({i}, '{item}', {qty});"
        for i, (item, qty) in enumerate([("apple", 3), ("pear", 1), ("apple", 4), ("pear", 2)])
    )
    for cache, expected in (
        (None, [{"N": 2, "QTY": 7}, {"N": 2, "QTY": 3}]),
        ("0", [{"N": 1, "QTY": 3}, {"N": 1, "QTY": 1}, {"N": 2, "QTY": 7}, {"N": 2, "QTY": 3}]),
    ):
        props = {"auto.offset.reset": "earliest"}
        if cache is not None:
            props["cache.max.bytes.buffering"] = cache
        with Engine(tmp_path / f"cache-{cache}", properties=props) as engine:
            engine.execute(STREAM)
            engine.execute(inserts)
            engine.execute(ddl)
            engine.run_until_idle()
            assert values_of(engine, "TOTALS") == expected
            [result] = engine.execute("SELECT * FROM totals;")
            assert sorted(result.rows) == [["apple", 2, 7], ["pear", 2, 3]]


def test_pull_queries_read_the_materialized_table(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.execute(
            "CREATE TABLE totals AS SELECT item, COUNT(*) AS n, SUM(qty) AS qty "
            "FROM orders GROUP BY item;"
        )
        for i, (item, qty) in enumerate([("apple", 3), ("pear", 1), ("apple", 4)]):
            engine.execute(f"INSERT INTO orders (id, item, qty) VALUES ({i}, '{item}', {qty});")
        engine.run_until_idle()
        [result] = engine.execute("SELECT * FROM totals WHERE item = 'apple';")
        assert result.is_pull and list(result.rows) == [["apple", 2, 7]]
        # Beyond ksqlDB: any predicate and projection over the materialized rows.
        [result] = engine.execute("SELECT item, qty * 10 AS q FROM totals WHERE n >= 1;")
        assert sorted(result.rows) == [["apple", 70], ["pear", 10]]
    # The materialization survives a restart and keeps folding new changes.
    with Engine(tmp_path) as engine:
        engine.execute("INSERT INTO orders (id, item, qty) VALUES (9, 'pear', 5);")
        engine.run_until_idle()
        [result] = engine.execute("SELECT n, qty FROM totals WHERE item = 'pear';")
        assert list(result.rows) == [[2, 6]]


def test_pull_query_on_a_table_from_a_topic_sees_deletes(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(
            "CREATE TABLE users (id INT PRIMARY KEY, name STRING) "
            "WITH (kafka_topic='users', partitions=1, value_format='JSON');"
        )
        engine.execute("INSERT INTO users (id, name) VALUES (1, 'ann');")
        engine.execute("INSERT INTO users (id, name) VALUES (2, 'bo');")
        engine.execute("INSERT INTO users (id, name) VALUES (1, 'anne');")
        engine.produce("users", (2).to_bytes(4, "big"), None)
        [result] = engine.execute("SELECT id, name FROM users;")
        assert list(result.rows) == [[1, "anne"]]


def test_push_query_with_group_by_streams_running_counts(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        for i, item in enumerate(["apple", "pear", "apple"]):
            engine.execute(f"INSERT INTO orders (id, item, qty) VALUES ({i}, '{item}', 1);")
        [result] = engine.execute(
            "SELECT item, COUNT(*) AS n FROM orders GROUP BY item EMIT CHANGES LIMIT 3;",
            properties={"cache.max.bytes.buffering": "0"},  # every update, no record cache
        )
        assert list(result.rows) == [["apple", 1], ["pear", 1], ["apple", 2]]
        result.close()
        # With the record cache (the default) the three records, read in one micro-batch,
        # give each key's latest count once, in order of each key's last update.
        [result] = engine.execute(
            "SELECT item, COUNT(*) AS n FROM orders GROUP BY item EMIT CHANGES LIMIT 2;"
        )
        assert list(result.rows) == [["pear", 1], ["apple", 2]]
        result.close()


def test_push_query_aggregating_without_group_by_folds_every_record(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        for i, qty in enumerate([3, 4, 5]):
            engine.execute(f"INSERT INTO orders (id, item, qty) VALUES ({i}, 'x', {qty});")
        [result] = engine.execute(
            "SELECT COUNT(*) AS n, SUM(qty) AS total FROM orders EMIT CHANGES LIMIT 3;",
            properties={"cache.max.bytes.buffering": "0"},
        )
        assert [c.name for c in result.columns] == ["N", "TOTAL"]
        assert list(result.rows) == [[1, 3], [2, 7], [3, 12]]
        result.close()


def test_pull_query_on_a_windowed_table_filters_on_window_bounds(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.execute(
            "CREATE TABLE per_10s AS SELECT item, COUNT(*) AS n FROM orders "
            "WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY item;"
        )
        for i, ts in enumerate([1_000, 2_000, 15_000]):
            engine.execute(f"INSERT INTO orders (ROWTIME, id, item, qty) VALUES ({ts}, {i}, 'apple', 1);")
        engine.run_until_idle()
        [result] = engine.execute(
            "SELECT item, WINDOWSTART, WINDOWEND, n FROM per_10s "
            "WHERE item = 'apple' AND WINDOWSTART >= 10000;"
        )
        assert list(result.rows) == [["apple", 10_000, 20_000, 1]]


def test_explode_turns_each_array_element_into_a_row(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM baskets (id INT KEY, items ARRAY<STRING>) "
            "WITH (kafka_topic='baskets', partitions=1, value_format='JSON');"
        )
        engine.execute("INSERT INTO baskets (id, items) VALUES (1, ARRAY['a', 'b']);")
        engine.execute("INSERT INTO baskets (id, items) VALUES (2, NULL);")
        engine.execute("CREATE STREAM items AS SELECT id, EXPLODE(items) AS item FROM baskets;")
        engine.run_until_idle()
        assert values_of(engine, "ITEMS") == [{"ITEM": "a"}, {"ITEM": "b"}]
        with pytest.raises(KsqlError, match="Table functions cannot be used with aggregations"):
            engine.execute("CREATE TABLE t AS SELECT id, EXPLODE(items), COUNT(*) FROM baskets GROUP BY id;")


def test_headers_column_of_a_record_without_headers_is_an_empty_list(tmp_path: Path) -> None:
    # A Kafka record always carries a header list; a log that reads "none" as null (librdkafka
    # does) must still give [] as ksqlDB does.
    from ksql.storage.records import make_records

    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM h (v INT, hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) "
            "WITH (kafka_topic='h', partitions=1, value_format='JSON');"
        )
        engine.execute("CREATE STREAM out AS SELECT * FROM h;")
        batch = make_records([None, None], [b'{"V":1}', b'{"V":2}'], [1, 2], [None, [("a", b"x")]])
        engine.log.produce("h", batch)
        engine.run_until_idle()
        assert values_of(engine, "OUT") == [
            {"V": 1, "HS": []},
            {"V": 2, "HS": [{"KEY": "a", "VALUE": "eA=="}]},
        ]
