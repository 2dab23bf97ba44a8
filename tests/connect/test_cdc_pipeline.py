"""The example pipeline end to end (examples/cdc_pipeline): PostgreSQL `customers` and `orders`
-> Debezium-style CDC -> a ksql stream-table join and a windowed aggregation -> JDBC sink
(upsert, delete.enabled) into a second PostgreSQL database. Inserts, updates and deletes reach
the warehouse, which ends equal to the same SQL computed in the source database, row for row,
also when ksql-server is SIGKILLed in the middle and restarted."""

from __future__ import annotations

import importlib.util
import random
import threading
import time
from pathlib import Path

import pytest

from ksql.conformance.rest_server import SERVER_PROPERTIES, ServerProcess

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cdc_pipeline"
_spec = importlib.util.spec_from_file_location("cdc_workload", EXAMPLE / "workload.py")
workload = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workload)


def _databases(postgres):
    shop_db, warehouse_db = postgres.create_database("shop"), postgres.create_database("wh")
    return postgres.url(shop_db), postgres.url(warehouse_db), shop_db, warehouse_db


def _start(data_dir: Path) -> ServerProcess:
    return ServerProcess(data_dir=data_dir, properties=SERVER_PROPERTIES)


def test_pipeline_reaches_the_warehouse_with_inserts_updates_and_deletes(postgres, tmp_path):
    source, target, shop_db, warehouse_db = _databases(postgres)
    server = _start(tmp_path / "data")
    try:
        with postgres.connect(shop_db) as shop, postgres.connect(warehouse_db) as warehouse:
            workload.create_schema(shop)
            workload.add_customers(shop, range(1, 31))
            workload.start_pipeline(server.url, workload.pipeline_variables(source, target))
            workload.add_orders(shop, range(1, 501), range(1, 31))
            workload.add_customers(shop, range(31, 41))
            workload.churn(shop, renamed=range(1, 6), deleted=range(31, 36))
            workload.add_orders(shop, range(501, 801), range(1, 31), seed=1)
            want, got = workload.settle(shop, warehouse)
            assert got == want, server.log_text()[-3000:]
            revenue, customers = got
            assert sum(r[2] for r in revenue) == 800  # every order counted once
            assert len(customers) == 35  # 40 inserted, 5 deleted
            assert customers[0][1] == "renamed 1"
    finally:
        server.stop()


def test_sigkill_in_the_middle_then_restart_leaves_the_warehouse_equal(postgres, tmp_path):
    source, target, shop_db, warehouse_db = _databases(postgres)
    data_dir = tmp_path / "data"
    server = _start(data_dir)
    orders, per_transaction = 3000, 25
    try:
        with postgres.connect(shop_db) as shop, postgres.connect(warehouse_db) as warehouse:
            workload.create_schema(shop)
            workload.add_customers(shop, range(1, 31))
            workload.start_pipeline(server.url, workload.pipeline_variables(source, target))

            def write_orders() -> None:  # small transactions while the server dies and returns
                with postgres.connect(shop_db) as writer:
                    for start in range(1, orders + 1, per_transaction):
                        workload.add_orders(writer, range(start, start + per_transaction),
                                            range(1, 31), seed=start)  # fmt: skip
                        time.sleep(0.01)

            writing = threading.Thread(target=write_orders)
            writing.start()
            _wait_for_some(warehouse)
            rng = random.Random(5)
            for _ in range(3):  # three kills at different points of the flow
                time.sleep(rng.uniform(0.3, 1.5))
                server.kill()
                if _ == 1:
                    workload.churn(shop, renamed=range(1, 4), deleted=())
                server = _start(data_dir)
            writing.join()
            want, got = workload.settle(shop, warehouse)
            assert got == want, server.log_text()[-3000:]
            assert sum(r[2] for r in got[0]) == orders  # nothing lost, nothing counted twice
            duplicates = warehouse.execute(
                'SELECT count(*) - count(DISTINCT ("REGION_NAME", "WINDOW_START")) '
                "FROM revenue_by_region"
            ).fetchone()[0]
            assert duplicates == 0
    finally:
        server.stop()


def _wait_for_some(warehouse, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        revenue, _ = workload.actual(warehouse)
        if revenue:
            return
        time.sleep(0.1)
    raise AssertionError("nothing reached the warehouse")
