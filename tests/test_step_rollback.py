"""A step that fails half-way leaves nothing behind: its transaction on the state file is
rolled back, the inputs are read again, and the next step gives the right results."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ksql.engine import Engine

EARLIEST = {"auto.offset.reset": "earliest"}
SOURCES = (
    "CREATE STREAM orders (id INT KEY, customer INT, amount INT) "
    "WITH (kafka_topic='orders', partitions=1, value_format='JSON');"
    "CREATE TABLE customers (id INT PRIMARY KEY, name STRING, region INT) "
    "WITH (kafka_topic='customers', partitions=1, value_format='JSON');"
    "CREATE TABLE regions (id INT PRIMARY KEY, label STRING) "
    "WITH (kafka_topic='regions', partitions=1, value_format='JSON');"
)


def _put(engine: Engine, topic: str, key: int, ts: int, **fields: object) -> None:
    value = json.dumps({k.upper(): v for k, v in fields.items()}).encode()
    engine.produce(topic, key.to_bytes(4, "big"), value, ts)


def _values(engine: Engine, topic: str) -> list[dict]:
    return [json.loads(r["value"]) for r in engine.read_topic(topic).to_pylist()]


def _no_open_transaction(db: duckdb.DuckDBPyConnection) -> bool:
    """BEGIN fails inside an open transaction."""
    try:
        db.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        return False
    db.execute("ROLLBACK")
    return True


class Boom(RuntimeError):
    pass


def _fail_once(monkeypatch: pytest.MonkeyPatch, operator) -> None:  # type: ignore[no-untyped-def]
    """The operator's next `process` raises; later calls work."""
    original = operator.process

    def process(*batches):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(operator, "process", original)
        raise Boom("injected")

    monkeypatch.setattr(operator, "process", process)


def _runner(engine: Engine):  # type: ignore[no-untyped-def]
    [query] = [q for q in engine.catalog.queries.values() if q.sink == "OUT"]
    return query.runner


def test_failed_aggregation_step_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(
            "CREATE TABLE out AS SELECT customer, COUNT(*) AS n, SUM(amount) AS total "
            "FROM orders GROUP BY customer HAVING SUM(amount) > 0;"
        )
        runner = _runner(engine)
        _put(engine, "orders", 1, 1, customer=7, amount=5)
        engine.run_until_idle()
        _put(engine, "orders", 2, 2, customer=7, amount=6)
        _put(engine, "orders", 3, 3, customer=8, amount=1)
        # HAVING runs after the aggregate operator has written the batch's state.
        _fail_once(monkeypatch, runner.having)
        with pytest.raises(Boom):
            runner.step()
        assert _no_open_transaction(runner.db)
        assert runner.step() == 2  # the same records again
        assert runner.step() == 0
        assert _values(engine, "OUT")[-2:] == [{"N": 2, "TOTAL": 11}, {"N": 1, "TOTAL": 1}]
        [table] = engine.execute("SELECT * FROM out;")
        assert sorted(table.rows) == [[7, 2, 11], [8, 1, 1]]


def test_failed_table_aggregation_step_keeps_its_change_counter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(
            "CREATE TABLE out AS SELECT region, COUNT(*) AS n FROM customers GROUP BY region;"
        )
        runner = _runner(engine)
        _put(engine, "customers", 1, 1, name="a", region=1)
        engine.run_until_idle()
        _put(engine, "customers", 1, 2, name="a", region=2)  # moves from region 1 to 2
        _fail_once(monkeypatch, runner.operator)
        with pytest.raises(Boom):
            runner.step()
        assert _no_open_transaction(runner.db)
        assert runner.changes.ordinal == 1  # as committed, not advanced by the failed batch
        engine.run_until_idle()
        [table] = engine.execute("SELECT * FROM out;")
        assert sorted(table.rows) == [[1, 0], [2, 1]]


def test_failed_join_step_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(
            "CREATE STREAM out AS SELECT r.id, o.amount, c.name, r.label FROM orders o "
            "JOIN customers c ON o.customer = c.id JOIN regions r ON c.region = r.id;"
        )
        runner = _runner(engine)
        _put(engine, "regions", 1, 1, label="north")
        engine.run_until_idle()
        _put(engine, "customers", 7, 2, name="ann", region=1)
        _put(engine, "orders", 1, 3, customer=7, amount=5)
        # The second step fails after the first has stored the customer.
        _fail_once(monkeypatch, runner.pipeline.operators[1])
        seq = runner.pipeline.next_seq
        with pytest.raises(Boom):
            runner.step()
        assert _no_open_transaction(runner.db)
        assert runner.pipeline.next_seq == seq
        assert runner.db.execute("SELECT count(*) FROM j0_table").fetchall() == [(0,)]
        engine.run_until_idle()
        assert _values(engine, "OUT") == [{"AMOUNT": 5, "NAME": "ann", "LABEL": "north"}]


def test_failed_join_aggregation_step_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(SOURCES)
        engine.execute(
            "CREATE TABLE out AS SELECT c.name, SUM(o.amount) AS total FROM orders o "
            "JOIN customers c ON o.customer = c.id GROUP BY c.name;"
        )
        runner = _runner(engine)
        _put(engine, "customers", 7, 1, name="ann", region=1)
        _put(engine, "orders", 1, 2, customer=7, amount=5)
        engine.run_until_idle()
        _put(engine, "orders", 2, 3, customer=7, amount=6)
        _fail_once(monkeypatch, runner.operator)
        with pytest.raises(Boom):
            runner.step()
        assert _no_open_transaction(runner.db)
        engine.run_until_idle()
        [table] = engine.execute("SELECT * FROM out;")
        assert list(table.rows) == [["ann", 11]]
