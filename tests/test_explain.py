"""EXPLAIN as users read it: over REST (ksqlDB's queryDescription entity) and from the engine,
for a statement and for a running query whose stores are the runner's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ksql.conformance.rest_server import ServerProcess
from ksql.engine import Engine
from ksql.results import ExplainResult

ORDERS = (
    "CREATE STREAM orders (id INT KEY, item STRING, qty INT) "
    "WITH (kafka_topic='orders', partitions=2, value_format='JSON');"
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    process.stop()


def _ksql(server: ServerProcess, sql: str) -> list[dict]:
    response = httpx.post(f"{server.url}/ksql", json={"ksql": sql}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_explain_statement_over_rest_shows_plans_and_stores(server: ServerProcess) -> None:
    _ksql(server, ORDERS)
    (entity,) = _ksql(
        server,
        "EXPLAIN CREATE TABLE per_item AS SELECT item, COUNT(*) AS n FROM orders "
        "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY item EMIT CHANGES;",
    )
    assert entity["@type"] == "queryDescription"
    description = entity["queryDescription"]
    assert "[ WINDOWED AGGREGATE ]" in description["executionPlan"]
    assert "[ REPARTITION ] | GROUP BY ITEM" in description["executionPlan"]
    assert "state_aggregate (Aggregate)" in description["topology"]
    assert description["sources"] == ["ORDERS"]
    assert description["sinks"] == ["PER_ITEM"]
    assert [f["name"] for f in description["fields"]] == ["ITEM", "N"]
    # Explaining runs nothing and creates nothing.
    (listing,) = _ksql(server, "SHOW TABLES;")
    assert listing["tables"] == []


def test_explain_running_query_over_rest(server: ServerProcess) -> None:
    _ksql(server, ORDERS.replace("orders", "orders2"))
    (created,) = _ksql(
        server, "CREATE STREAM big AS SELECT id, item FROM orders2 WHERE qty > 3 EMIT CHANGES;"
    )
    query_id = created["commandStatus"]["queryId"]
    (entity,) = _ksql(server, f"EXPLAIN {query_id};")
    description = entity["queryDescription"]
    assert description["id"] == query_id
    assert "[ FILTER ] | WHERE (QTY > 3)" in description["executionPlan"]
    assert "StatelessQuery" in description["topology"]
    assert "sink: BIG" in description["topology"]


def test_explain_of_a_running_query_lists_the_runners_own_stores(tmp_path: Path) -> None:
    engine = Engine(tmp_path)
    try:
        engine.execute(ORDERS)
        engine.execute(
            "CREATE TABLE per_item AS SELECT item, COUNT(*) AS n FROM orders GROUP BY item;"
        )
        (query,) = engine.queries()
        (result,) = engine.execute(f"EXPLAIN {query.query_id};")
        assert isinstance(result, ExplainResult)
        for store in query.runner.state_stores():
            assert store.describe() in result.topology
    finally:
        engine.close()


def test_request_property_ksql_streams_auto_offset_reset_is_honoured(tmp_path: Path) -> None:
    """A new query reads from the start when the request says so in the Streams form."""
    engine = Engine(tmp_path)
    try:
        engine.execute(ORDERS)
        engine.execute("INSERT INTO orders (id, item, qty) VALUES (1, 'apple', 5);")
        engine.execute(
            "CREATE STREAM copy AS SELECT * FROM orders EMIT CHANGES;",
            properties={"ksql.streams.auto.offset.reset": "earliest"},
        )
        engine.run_until_idle()
        copied = engine.read_topic("COPY")
        assert copied.num_rows == 1  # the record written before the query was created
    finally:
        engine.close()


def test_describe_extended_lists_the_writing_querys_state_stores(tmp_path: Path) -> None:
    engine = Engine(tmp_path)
    try:
        engine.execute(ORDERS)
        engine.execute(
            "CREATE TABLE per_item AS SELECT item, COUNT(*) AS n FROM orders GROUP BY item;"
        )
        (query,) = engine.queries()
        (described,) = engine.execute("DESCRIBE per_item EXTENDED;")
        shown = described.statistics.splitlines()
        expected = [f"state-store: {query.query_id} {s.describe()}" for s in query.runner.state_stores()]
        assert shown == expected and any("state_aggregate" in line for line in shown)
    finally:
        engine.close()


def test_explain_in_the_shell_prints_both_plans(tmp_path: Path) -> None:
    """The `ksql` command, as a user runs a script with -e."""
    import subprocess
    import sys

    sql = (
        ORDERS + " EXPLAIN CREATE TABLE per_item AS SELECT item, SUM(qty) AS qty FROM orders "
        "WINDOW TUMBLING (SIZE 1 HOUR) WHERE qty > 0 GROUP BY item EMIT CHANGES;"
    )
    run = subprocess.run(
        [sys.executable, "-m", "repl.main", "--data-dir", str(tmp_path / "data"), "-e", sql],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Execution plan" in out and "Processing topology" in out
    assert "> [ WINDOWED AGGREGATE ] | Group by: ITEM | Aggregates: SUM(QTY)" in out
    assert "> [ FILTER ] | WHERE (QTY > 0)" in out
    assert "state_aggregate (Aggregate): key [__K0, WINDOWSTART]" in out
