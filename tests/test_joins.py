"""Joins as a user sees them: enrichment, table joins with deletes, windowed stream joins,
foreign keys, GROUP BY over a join, restarts, and bad records on one side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.errors import KsqlError

EARLIEST = {"auto.offset.reset": "earliest"}
ORDERS = (
    "CREATE STREAM orders (id INT KEY, customer INT, amount INT) "
    "WITH (kafka_topic='orders', partitions=1, value_format='JSON');"
)
CUSTOMERS = (
    "CREATE TABLE customers (id INT PRIMARY KEY, name STRING) "
    "WITH (kafka_topic='customers', partitions=1, value_format='JSON');"
)

PAYMENTS = (
    "CREATE STREAM payments (id INT KEY, paid INT) "
    "WITH (kafka_topic='payments', partitions=1, value_format='JSON');"
)


def key(n: int) -> bytes:
    return n.to_bytes(4, "big")


def value(**fields) -> bytes:
    return json.dumps({k.upper(): v for k, v in fields.items()}).encode()


def rows_of(engine: Engine, topic: str) -> list[tuple]:
    out = []
    for r in engine.read_topic(topic).to_pylist():
        k = None if r["key"] is None else int.from_bytes(r["key"], "big", signed=True)
        v = None if r["value"] is None else json.loads(r["value"])
        out.append((k, v, r["timestamp"]))
    return out


def test_stream_table_join_sees_the_table_as_of_each_record(tmp_path: Path) -> None:
    """All records arrive in one micro-batch: each order still sees the customer row that
    was current when it arrived, not the last one of the batch."""
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(ORDERS + CUSTOMERS)
        engine.execute(
            "CREATE STREAM enriched AS SELECT c.id AS customer, o.id AS order_id, o.amount, c.name "
            "FROM orders o LEFT JOIN customers c ON o.customer = c.id;"
        )
        engine.produce("orders", key(1), value(customer=7, amount=5), 1)
        engine.produce("customers", key(7), value(name="ann"), 2)
        engine.produce("orders", key(2), value(customer=7, amount=6), 3)
        engine.produce("customers", key(7), value(name="anna"), 4)
        engine.produce("orders", key(3), value(customer=7, amount=7), 5)
        engine.produce("customers", key(7), None, 6)  # the customer is deleted
        engine.produce("orders", key(4), value(customer=7, amount=8), 7)
        engine.run_until_idle()
        # Keyed by the join key (the customer), even where no customer matched.
        assert rows_of(engine, "ENRICHED") == [
            (7, {"ORDER_ID": 1, "AMOUNT": 5, "NAME": None}, 1),
            (7, {"ORDER_ID": 2, "AMOUNT": 6, "NAME": "ann"}, 3),
            (7, {"ORDER_ID": 3, "AMOUNT": 7, "NAME": "anna"}, 5),
            (7, {"ORDER_ID": 4, "AMOUNT": 8, "NAME": None}, 7),
        ]


def test_table_table_outer_join_propagates_updates_and_deletes(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(
            CUSTOMERS + "CREATE TABLE tiers (id INT PRIMARY KEY, tier STRING) "
            "WITH (kafka_topic='tiers', partitions=1, value_format='JSON');"
        )
        engine.execute(
            "CREATE TABLE both AS SELECT ROWKEY AS id, name, tier FROM customers c "
            "FULL OUTER JOIN tiers t ON c.id = t.id;"
        )
        engine.produce("customers", key(1), value(name="ann"), 10)
        engine.produce("tiers", key(1), value(tier="gold"), 20)
        engine.produce("customers", key(1), None, 30)
        engine.produce("tiers", key(1), None, 40)
        engine.run_until_idle()
        assert rows_of(engine, "BOTH") == [
            (1, {"NAME": "ann", "TIER": None}, 10),
            (1, {"NAME": "ann", "TIER": "gold"}, 20),
            (1, {"NAME": None, "TIER": "gold"}, 30),
            (1, None, 40),
        ]
        # The joined table answers pull queries.
        [result] = engine.execute("SELECT * FROM both;")
        assert list(result.rows) == []


def test_stream_stream_left_join_with_grace_waits_for_the_window_to_close(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(ORDERS + PAYMENTS)
        engine.execute(
            "CREATE STREAM settled AS SELECT o.id, amount, paid FROM orders o LEFT JOIN payments p "
            "WITHIN 10 SECONDS GRACE PERIOD 0 SECONDS ON o.id = p.id;"
        )
        engine.produce("orders", key(1), value(customer=1, amount=5), 1_000)
        engine.produce("orders", key(2), value(customer=1, amount=6), 2_000)
        engine.produce("payments", key(2), value(paid=6), 5_000)
        engine.run_until_idle()
        # Order 1 has no payment yet, but its window is still open: nothing null-padded yet.
        assert rows_of(engine, "SETTLED") == [(2, {"AMOUNT": 6, "PAID": 6}, 5_000)]
        engine.produce("orders", key(3), value(customer=1, amount=7), 30_000)
        engine.run_until_idle()
        # Stream time passed order 1's window: it is emitted alone, before order 3 is handled.
        assert rows_of(engine, "SETTLED")[1:] == [(1, {"AMOUNT": 5, "PAID": None}, 1_000)]


def test_foreign_key_join_follows_the_referenced_row(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(
            CUSTOMERS + "CREATE TABLE accounts (id INT PRIMARY KEY, owner INT, balance INT) "
            "WITH (kafka_topic='accounts', partitions=1, value_format='JSON');"
        )
        engine.execute(
            "CREATE TABLE owned AS SELECT a.id, balance, name FROM accounts a "
            "JOIN customers c ON a.owner = c.id;"
        )
        engine.produce("customers", key(7), value(name="ann"), 1)
        engine.produce("accounts", key(100), value(owner=7, balance=5), 2)
        engine.produce("accounts", key(101), value(owner=7, balance=9), 3)
        engine.produce("customers", key(7), value(name="anna"), 4)
        engine.run_until_idle()
        assert [(k, v) for k, v, _ in rows_of(engine, "OWNED")] == [
            (100, {"BALANCE": 5, "NAME": "ann"}),
            (101, {"BALANCE": 9, "NAME": "ann"}),
            (100, {"BALANCE": 5, "NAME": "anna"}),
            (101, {"BALANCE": 9, "NAME": "anna"}),
        ]


def test_group_by_over_a_join(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(ORDERS + CUSTOMERS)
        engine.execute(
            "CREATE TABLE spend AS SELECT c.name, SUM(o.amount) AS total FROM orders o "
            "JOIN customers c ON o.customer = c.id GROUP BY c.name;"
        )
        engine.produce("customers", key(7), value(name="ann"), 1)
        engine.produce("orders", key(1), value(customer=7, amount=5), 2)
        engine.produce("orders", key(2), value(customer=7, amount=6), 3)
        engine.run_until_idle()
        totals = [json.loads(r["value"])["TOTAL"] for r in engine.read_topic("SPEND").to_pylist()]
        assert totals == [11]  # the record cache: one update per key per batch
        [table] = engine.execute("SELECT * FROM spend;")
        assert list(table.rows) == [["ann", 11]]


def test_join_state_survives_a_restart(tmp_path: Path) -> None:
    engine = Engine(tmp_path, properties=EARLIEST)
    engine.execute(ORDERS + CUSTOMERS)
    engine.execute(
        "CREATE STREAM enriched AS SELECT o.customer, o.id AS order_id, c.name FROM orders o "
        "JOIN customers c ON o.customer = c.id;"
    )
    engine.produce("customers", key(7), value(name="ann"), 1)
    engine.produce("orders", key(1), value(customer=7, amount=5), 2)
    engine.run_until_idle()
    engine.close()

    engine = Engine(tmp_path)
    try:
        engine.produce("orders", key(2), value(customer=7, amount=6), 3)
        engine.run_until_idle()
        # The customer row read before the restart is still in the join's state; the first
        # order is neither lost nor joined twice.
        assert [(k, v) for k, v, _ in rows_of(engine, "ENRICHED")] == [
            (7, {"ORDER_ID": 1, "NAME": "ann"}),
            (7, {"ORDER_ID": 2, "NAME": "ann"}),
        ]
    finally:
        engine.close()


def test_bad_record_on_one_side_is_logged_and_the_join_goes_on(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=EARLIEST) as engine:
        engine.execute(ORDERS + CUSTOMERS)
        engine.execute(
            "CREATE STREAM enriched AS SELECT o.customer, o.id AS order_id, c.name FROM orders o "
            "JOIN customers c ON o.customer = c.id;"
        )
        engine.produce("customers", key(7), b"{broken", 1)
        engine.produce("customers", key(8), value(name="bob"), 2)
        engine.produce("orders", key(1), value(customer=8, amount=5), 3)
        engine.run_until_idle()
        assert [(k, v) for k, v, _ in rows_of(engine, "ENRICHED")] == [
            (8, {"ORDER_ID": 1, "NAME": "bob"})
        ]
        [error] = engine.processing_log.errors_for("CSAS_ENRICHED_0")
        assert error.offset == 0


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "CREATE STREAM x AS SELECT * FROM customers c JOIN orders o ON c.id = o.id;",
            "Invalid join order: table-stream joins are not supported",
        ),
        (
            "CREATE STREAM x AS SELECT * FROM orders o JOIN customers c ON o.customer = c.name;",
            "Invalid join condition: types don't match",
        ),
        (
            "CREATE STREAM x AS SELECT o.amount FROM orders o JOIN customers c ON o.customer = c.id;",
            "must include the join expressions O.CUSTOMER or C.ID in its projection",
        ),
        (
            PAYMENTS + "CREATE STREAM x AS SELECT * FROM orders o JOIN payments p ON o.id = p.id;",
            "Stream-Stream joins must have a WITHIN clause",
        ),
    ],
)
def test_invalid_joins_are_explained(tmp_path: Path, sql: str, message: str) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(ORDERS + CUSTOMERS)
        with pytest.raises(KsqlError) as error:
            engine.execute(sql)
        assert message in error.value.message
