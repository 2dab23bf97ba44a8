"""The example pipeline's workload and check, against real PostgreSQL databases.

    python examples/cdc_pipeline/workload.py --ksql http://localhost:8088 \
        --source postgresql://postgres@localhost:5432/shop \
        --target postgresql://postgres@localhost:5432/warehouse

creates the shop tables (shop.sql), starts the pipeline on ksql-server (pipeline.sql), then
inserts customers and orders, renames and deletes customers, and waits until the warehouse
equals what check.sql computes directly in the shop database, printing both sides' sizes.
The test suite drives the same functions (tests/connect/test_cdc_pipeline.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
REGIONS = ("north", "south", "east", "west", "central")


def create_schema(shop: psycopg.Connection) -> None:
    shop.execute((HERE / "shop.sql").read_text())


def pipeline_variables(source_url: str, target_url: str) -> dict[str, str]:
    source, target = urlparse(source_url), urlparse(target_url)
    return {
        "pg_host": source.hostname or "localhost",
        "pg_port": str(source.port or 5432),
        "pg_user": source.username or "postgres",
        "pg_password": source.password or "",
        "source_db": source.path.lstrip("/"),
        "target_db": target.path.lstrip("/"),
    }


def start_pipeline(ksql_url: str, variables: dict[str, str]) -> None:
    """Run pipeline.sql on ksql-server, reading every topic from its start."""
    response = httpx.post(
        f"{ksql_url}/ksql",
        json={
            "ksql": (HERE / "pipeline.sql").read_text(),
            "sessionVariables": variables,
            "streamsProperties": {"auto.offset.reset": "earliest"},
        },
        timeout=60,
    )
    if response.status_code != 200:
        raise RuntimeError(f"pipeline.sql failed: {response.text}")


def add_customers(shop: psycopg.Connection, ids: range) -> None:
    with shop.transaction():
        for i in ids:
            shop.execute(
                "INSERT INTO customers VALUES (%s, %s, %s)",
                (i, f"customer {i}", REGIONS[i % len(REGIONS)]),
            )


def add_orders(shop: psycopg.Connection, ids: range, customers: range, seed: int = 0) -> None:
    """Orders of existing customers, created 5 minutes to 5 hours from now (event time after
    their customer's row, which a stream-table join needs)."""
    rng = random.Random(seed)
    with shop.transaction():
        for i in ids:
            shop.execute(
                "INSERT INTO orders VALUES (%s, %s, %s, "
                "date_trunc('second', now()) + make_interval(mins => %s))",
                (i, rng.choice(customers), rng.randint(100, 10_000), rng.randint(5, 300)),
            )


def churn(shop: psycopg.Connection, renamed: range, deleted: range) -> None:
    """Rename some customers and delete others (ones without orders)."""
    with shop.transaction():
        for i in renamed:
            shop.execute("UPDATE customers SET name = %s WHERE id = %s", (f"renamed {i}", i))
        for i in deleted:
            shop.execute("DELETE FROM customers WHERE id = %s", (i,))


def expected(shop: psycopg.Connection) -> tuple[list[tuple], list[tuple]]:
    """check.sql's two results, computed in the shop database."""
    revenue_sql, customers_sql = (
        part.strip() for part in (HERE / "check.sql").read_text().split(";") if part.strip()
    )
    revenue = [tuple(r) for r in shop.execute(revenue_sql).fetchall()]
    customers = [tuple(r) for r in shop.execute(customers_sql).fetchall()]
    return revenue, customers


def actual(warehouse: psycopg.Connection) -> tuple[list[tuple], list[tuple]]:
    """What the sinks wrote to the warehouse, in check.sql's shape."""

    def rows(sql: str) -> list[tuple]:
        try:
            return [tuple(r) for r in warehouse.execute(sql).fetchall()]
        except psycopg.errors.UndefinedTable:
            warehouse.rollback()
            return []

    revenue = rows(
        'SELECT "REGION_NAME", "WINDOW_START", "ORDERS", "REVENUE" FROM revenue_by_region '
        "ORDER BY 1, 2"
    )
    customers = rows('SELECT "ID", "NAME", "REGION" FROM customer_directory ORDER BY 1')
    return revenue, customers


def settle(
    shop: psycopg.Connection, warehouse: psycopg.Connection, timeout_s: float = 120.0
) -> tuple[list, list]:
    """Wait until the warehouse equals the shop's own computation; (expected, actual)."""
    deadline = time.monotonic() + timeout_s
    while True:
        want, got = expected(shop), actual(warehouse)
        if want == got or time.monotonic() > deadline:
            return [*want], [*got]
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ksql", default="http://localhost:8088")
    parser.add_argument("--source", required=True, help="the shop database (libpq URL)")
    parser.add_argument("--target", required=True, help="the warehouse database (libpq URL)")
    args = parser.parse_args(argv)
    with psycopg.connect(args.source, autocommit=True) as shop, \
            psycopg.connect(args.target, autocommit=True) as warehouse:  # fmt: skip
        create_schema(shop)
        add_customers(shop, range(1, 51))
        start_pipeline(args.ksql, pipeline_variables(args.source, args.target))
        add_orders(shop, range(1, 2001), range(1, 51))
        add_customers(shop, range(51, 61))
        churn(shop, renamed=range(1, 11), deleted=range(51, 56))
        add_orders(shop, range(2001, 3001), range(1, 51), seed=1)
        want, got = settle(shop, warehouse)
        print(f"revenue_by_region: {len(got[0])} rows in the warehouse, {len(want[0])} expected")
        print(f"customer_directory: {len(got[1])} rows in the warehouse, {len(want[1])} expected")
        print("equal" if want == got else "NOT EQUAL")
        return 0 if want == got else 1


if __name__ == "__main__":
    sys.exit(main())
