"""Declared state stores: what a running query's runner lists is what its configuration
declares and exactly the tables its DuckDB state file holds."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from ksql.engine import Engine

EARLIEST = {"auto.offset.reset": "earliest"}
SOURCES = (
    "CREATE STREAM orders (id INT KEY, customer INT, amount INT) "
    "WITH (kafka_topic='orders', partitions=1, value_format='JSON');"
    "CREATE STREAM payments (id INT KEY, paid INT) "
    "WITH (kafka_topic='payments', partitions=1, value_format='JSON');"
    "CREATE TABLE customers (id INT PRIMARY KEY, name STRING, region INT) "
    "WITH (kafka_topic='customers', partitions=1, value_format='JSON');"
    "CREATE TABLE regions (id INT PRIMARY KEY, label STRING) "
    "WITH (kafka_topic='regions', partitions=1, value_format='JSON');"
    "CREATE TABLE accounts (id INT PRIMARY KEY, owner INT, balance INT) "
    "WITH (kafka_topic='accounts', partitions=1, value_format='JSON');"
)

QUERIES = {
    "tumbling": "CREATE TABLE out AS SELECT customer, COUNT(*) AS n FROM orders "
    "WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY customer "
    "HAVING COUNT(*) > 0;",
    "hopping_final": "CREATE TABLE out AS SELECT customer, SUM(amount) AS s FROM orders "
    "WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS) GROUP BY customer EMIT FINAL;",
    "session": "CREATE TABLE out AS SELECT customer, COUNT(*) AS n FROM orders "
    "WINDOW SESSION (30 SECONDS) GROUP BY customer;",
    "table_aggregation": "CREATE TABLE out AS SELECT region, COUNT(*) AS n FROM customers "
    "GROUP BY region;",
    "stream_table": "CREATE STREAM out AS SELECT o.customer, amount, name FROM orders o "
    "LEFT JOIN customers c ON o.customer = c.id;",
    "table_table": "CREATE TABLE out AS SELECT ROWKEY AS id, name, label FROM customers c "
    "FULL OUTER JOIN regions r ON c.id = r.id WHERE label IS NOT NULL;",
    "foreign_key": "CREATE TABLE out AS SELECT a.id, balance, name FROM accounts a "
    "JOIN customers c ON a.owner = c.id;",
    "stream_stream_inner": "CREATE STREAM out AS SELECT o.id, amount, paid FROM orders o "
    "JOIN payments p WITHIN 10 SECONDS ON o.id = p.id;",
    "stream_stream_outer": "CREATE STREAM out AS SELECT o.id, amount, paid FROM orders o "
    "LEFT JOIN payments p WITHIN 10 SECONDS GRACE PERIOD 1 SECOND ON o.id = p.id;",
    "multi_join": "CREATE STREAM out AS SELECT r.id, name, label FROM orders o "
    "JOIN customers c ON o.customer = c.id JOIN regions r ON c.region = r.id;",
    "join_aggregation": "CREATE TABLE out AS SELECT c.name, SUM(o.amount) AS total "
    "FROM orders o JOIN customers c ON o.customer = c.id GROUP BY c.name;",
}


def _produce(engine: Engine) -> None:
    def put(topic: str, key: int, ts: int, **fields) -> None:  # type: ignore[no-untyped-def]
        value = json.dumps({k.upper(): v for k, v in fields.items()}).encode()
        engine.produce(topic, key.to_bytes(4, "big"), value, ts)

    put("customers", 7, 1, name="ann", region=1)
    put("regions", 1, 2, label="north")
    put("accounts", 100, 3, owner=7, balance=5)
    put("orders", 1, 4, customer=7, amount=5)
    put("payments", 1, 5, paid=5)
    put("orders", 2, 30_000, customer=7, amount=6)


def _tables(runner) -> set[str]:  # type: ignore[no-untyped-def]
    rows = runner.db.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND database_name = "
        "current_database()"
    ).fetchall()
    return {name for (name,) in rows}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_running_query_stores_are_declared_and_in_the_state_file(tmp_path: Path, name: str) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(QUERIES[name])
        [query] = [q for q in engine.catalog.queries.values() if q.sink == "OUT"]
        runner = query.runner
        # Before any record and after some: the stores exist from the start.
        for _ in range(2):
            stores = runner.state_stores()
            assert stores
            assert stores == type(runner).declared_stores(runner.analysis, EARLIEST)
            assert len({s.name for s in stores}) == len(stores)
            assert {s.name for s in stores} == _tables(runner)
            _produce(engine)
            engine.run_until_idle()
            assert query.state == "RUNNING", query.error


def test_declarations_say_what_each_store_is(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(QUERIES["stream_stream_outer"])
        [query] = engine.catalog.queries.values()
        by_name = {s.name: s for s in query.runner.state_stores()}
        # Each side's window store: append-only, kept for the window plus the grace period.
        assert by_name["j0_l"].key == () and by_name["j0_l"].retention_ms == 21_000
        assert "j0_pending" in by_name and "j0_time" in by_name
        assert by_name["join_positions"].key == ("input", "part")
        assert not any(s.changelog for s in by_name.values())  # joins: no changelog yet
    with Engine(tmp_path / "agg", properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(QUERIES["tumbling"])
        [query] = engine.catalog.queries.values()
        changelogged = {s.name: s for s in query.runner.state_stores() if s.changelog}
        assert set(changelogged) == {"state_aggregate", "state_having"}
        aggregate = changelogged["state_aggregate"]
        assert aggregate.key == ("__K0", "WINDOWSTART")
        assert aggregate.retention_ms == 15_000  # size + grace
        assert (
            "state_aggregate (Aggregate): key [__K0, WINDOWSTART], retention 15000 ms, "
            "changelogged in cluster mode" == aggregate.describe()
        )


def test_cluster_runners_declare_their_stores(broker: Any, tmp_path: Path) -> None:
    """Cluster mode: the aggregation over the source key and the one through a repartition
    topic keep exactly their declared stores (the changelogged ones are restored)."""
    pytest.importorskip("confluent_kafka")
    props = {
        "bootstrap.servers": broker.bootstrap,
        "ksql.kafka.topic.prefix": f"s{uuid.uuid4().hex[:8]}-",
        "ksql.kafka.topic.config.retention.ms": "-1",
        "auto.offset.reset": "earliest",
        "ksql.cluster.enabled": "true",
    }
    engine = Engine(tmp_path, properties=props)
    try:
        engine.log.create_topic("src", 2)
        engine.execute(
            "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
        )
        engine.execute("CREATE TABLE BYID AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;")
        engine.execute(
            "CREATE TABLE BYV AS SELECT V, COUNT(*) AS N FROM S GROUP BY V HAVING COUNT(*) > 1;"
        )
        for i in range(20):
            engine.produce("src", f"k{i % 4}".encode(), b'{"V": %d}' % (i % 3), 1000 + i)
        deadline = time.monotonic() + 20
        while (
            time.monotonic() < deadline
            and len(list(engine.execute("SELECT * FROM BYV;")[0].rows)) < 3
        ):
            engine.step()
            time.sleep(0.02)
        queries = {q.sink: q.runner for q in engine.catalog.queries.values()}
        by_id, by_v = queries["BYID"], queries["BYV"]
        assert by_id.state_stores() == type(by_id).declared_stores(by_id.analysis, props)
        assert {s.name for s in by_id.state_stores()} == _tables(by_id)
        # Through a repartition topic: stage 2 keeps the state of the original query.
        declared = type(by_v).declared_stores(by_v.stage1.analysis, props)
        assert by_v.state_stores() == declared
        assert {s.name for s in declared} == _tables(by_v.stage2)
        changelogged = {s.name for s in declared if s.changelog}
        assert changelogged == {"state_aggregate", "state_having"}
        assert {s.name for s in by_v.stage2.changelog.stores} == changelogged
    finally:
        engine.close()
