"""Scale-out: a pull query for a key is answered by the server that owns the key's partition.

A real broker (noida-db) and two real `ksql-server` processes with one service id run a
COUNT/SUM GROUP BY the key over a 4-partition topic fed by a plain confluent-kafka producer
(with the Java client's murmur2 partitioner). A key lookup sent to the server that does not own
the key's partition is forwarded to the owner (its log says so, the response names the owner in
`X-Ksql-Pull-Host`) and returns the owner's row, over /query and /query-stream; the owner and
table scans answer locally. With the owner SIGKILLed, the survivor answers locally: at once
(the dead owner cannot be reached) and after it took the partitions over.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytest.importorskip("confluent_kafka")

import httpx
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from test_cluster_failover import ksql, members, owned, server_properties, wait_for

from ksql.conformance.rest_server import ServerProcess
from ksql.storage.partitioner import partition_for_key

pytestmark = pytest.mark.slow  # minutes: `pytest -m 'not slow'` runs the fast suite

KEYS = 16
RECORDS = 320
HOST = "x-ksql-pull-host"


def lookup(server: ServerProcess, table: str, key: str, endpoint: str = "/query", **extra):
    """A key lookup over HTTP/1.1: (response, rows as lists)."""
    sql = f"SELECT * FROM {table} WHERE USER_ID = '{key}';"
    if endpoint == "/query":
        body = {"ksql": sql, "streamsProperties": {}, **extra}
        headers = {"Accept": "application/vnd.ksql.v1+json"}
    else:
        body = {"sql": sql, "properties": {}, **extra}
        headers = {"Accept": "application/vnd.ksqlapi.delimited.v1"}
    response = httpx.post(server.url + endpoint, json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text[:500]
    if endpoint == "/query":
        rows = [r["row"]["columns"] for r in response.json() if "row" in r]
    else:
        lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        rows = [line for line in lines if isinstance(line, list)]
    return response, rows


def test_key_lookups_go_to_the_partition_owner(broker, tmp_path):
    service_id = f"svc{uuid.uuid4().hex[:6]}_"
    source, table = f"clicks{uuid.uuid4().hex[:6]}", f"TOTALS{uuid.uuid4().hex[:6]}".upper()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for future in admin.create_topics(
        [NewTopic(source, 4, 1, config={"retention.ms": "-1"})]
    ).values():
        future.result()
    props = server_properties(broker.bootstrap, service_id).replace(
        "exactly_once_v2", "at_least_once"
    )
    props += "ksql.cluster.member.timeout.ms=3000\n"
    args = ("--log-level", "INFO")
    a = ServerProcess(data_dir=tmp_path / "a", properties=props, extra_args=args)
    b = None
    try:
        # Step 1: the aggregation, created on one server; the second one joins.
        ksql(a, f"CREATE STREAM CLICKS (USER_ID STRING KEY, AMOUNT INT) "
                f"WITH (KAFKA_TOPIC='{source}', VALUE_FORMAT='JSON');")  # fmt: skip
        created = ksql(a, f"CREATE TABLE {table} AS SELECT USER_ID, COUNT(*) AS N, "
                          f"SUM(AMOUNT) AS TOTAL FROM CLICKS GROUP BY USER_ID;")  # fmt: skip
        query_id = created[0]["commandStatus"]["queryId"]
        # Grouped by a value column: keys are placed on its repartition topic (JSON keys).
        created = ksql(a, f"CREATE TABLE {table}_BY_AMOUNT AS SELECT AMOUNT, COUNT(*) AS N "
                          "FROM CLICKS GROUP BY AMOUNT;")  # fmt: skip
        by_amount_id = created[0]["commandStatus"]["queryId"]
        b = ServerProcess(data_dir=tmp_path / "b", properties=props, extra_args=args)
        servers = {f"127.0.0.1:{a.port}": a, f"127.0.0.1:{b.port}": b}

        # Step 2: a plain producer, placing keys as the Java client does (murmur2).
        producer = Producer(
            {"bootstrap.servers": broker.bootstrap, "partitioner": "murmur2_random"}
        )
        expected: dict[str, list[int]] = {}
        for i in range(RECORDS):
            key, amount = f"user{i % KEYS}", i % 7
            producer.produce(source, json.dumps({"AMOUNT": amount}).encode(), key.encode(),
                             timestamp=1_700_000_000_000 + i)  # fmt: skip
            n, total = expected.get(key, [0, 0])
            expected[key] = [n + 1, total + amount]
        producer.flush(10)

        # Step 3: both servers own two partitions each and processed all the input.
        def split():
            o = owned(members(a), query_id)
            done = sum(sum(ps.values()) for ps in o.values()) == RECORDS
            return len(o) == 2 and all(len(ps) == 2 for ps in o.values()) and done and o

        try:
            by_host = wait_for(split, 40, "both servers to own and process two partitions each")
        except AssertionError:
            raise AssertionError(f"{members(a)}\n{b.log_text()[-3000:]}") from None
        owner_of = {int(p): servers[host] for host, ps in by_host.items() for p in ps}
        key_owner = {k: owner_of[partition_for_key(k.encode(), 4)] for k in expected}
        assert {id(s) for s in key_owner.values()} == {id(a), id(b)}  # keys on both servers

        # Step 4: a lookup sent to the other server is forwarded to the owner, over both APIs.
        for owner, other in ((a, b), (b, a)):
            key = next(k for k, s in key_owner.items() if s is owner)
            want = [key, *expected[key]]
            # Its output may still be on the way to the owner's copy of the table.
            wait_for(lambda: lookup(other, table, key)[1] == [want], 15, f"{key} on {other.url}")  # noqa: B023
            response, rows = lookup(other, table, key)
            assert rows == [want]
            assert response.headers[HOST] == owner.url
            assert response.headers["content-type"].startswith("application/vnd.ksql.v1+json")
            assert f"pull query forwarded to {owner.url}" in other.log_text()
            response, rows = lookup(other, table, key, "/query-stream")
            assert rows == [want] and response.headers[HOST] == owner.url
            assert response.headers["content-type"].startswith("application/vnd.ksqlapi.delimited")
            # The owner answers its own keys; ksqlDB's skip-forwarding property answers here.
            response, rows = lookup(owner, table, key)
            assert rows == [want] and response.headers[HOST] == owner.url
            skip = {"requestProperties": {"request.ksql.query.pull.skip.forwarding": True}}
            response, rows = lookup(other, table, key, **skip)
            assert rows == [want] and response.headers[HOST] == other.url
        # The re-keyed table: a lookup goes to the owner of the key's repartition partition.
        counts = {v: sum(1 for i in range(RECORDS) if i % 7 == v) for v in range(7)}
        rekeyed = wait_for(
            lambda: (o := owned(members(a), by_amount_id)) and len(o) == 2 and o, 20, "stage 2"
        )
        amount_owner = {int(p): servers[host] for host, ps in rekeyed.items() for p in ps}
        for amount, n in counts.items():
            owner = amount_owner[partition_for_key(json.dumps(amount).encode(), 4)]
            other = b if owner is a else a
            sql = f"SELECT * FROM {table}_BY_AMOUNT WHERE AMOUNT = {amount};"
            response = httpx.post(other.url + "/query", json={"ksql": sql},
                                  headers={"Accept": "application/vnd.ksql.v1+json"})  # fmt: skip
            assert response.headers[HOST] == owner.url
            assert [r["row"]["columns"] for r in response.json() if "row" in r] == [[amount, n]]
        # A table scan is answered by the server asked (it has the whole table).
        response = httpx.post(b.url + "/query", json={"ksql": f"SELECT * FROM {table};"},
                              headers={"Accept": "application/vnd.ksql.v1+json"})  # fmt: skip
        assert response.headers[HOST] == b.url
        scanned = {r["row"]["columns"][0]: r["row"]["columns"][1:] for r in response.json()
                   if "row" in r}  # fmt: skip
        assert scanned == expected

        # Step 5: the owner of a key dies; the survivor answers locally, before and after it
        # takes the dead server's partitions over.
        key = next(k for k, s in key_owner.items() if s is a)
        a.kill()
        started = time.monotonic()
        response, rows = lookup(b, table, key)
        assert rows == [[key, *expected[key]]] and response.headers[HOST] == b.url
        assert time.monotonic() - started < 5
        assert f"owner {a.url} of partition" in b.log_text()  # "... unreachable"

        def took_over():
            o = owned(members(b), query_id)
            return list(o) == [f"127.0.0.1:{b.port}"] and len(o[f"127.0.0.1:{b.port}"]) == 4

        wait_for(took_over, 20, "the survivor to own all four partitions")
        forwarded = b.log_text().count("pull query forwarded to")
        response, rows = lookup(b, table, key)
        assert rows == [[key, *expected[key]]] and response.headers[HOST] == b.url
        assert b.log_text().count("pull query forwarded to") == forwarded
    finally:
        a.kill()
        a.stop()
        if b is not None:
            b.stop()


def test_key_lookup_and_placement_follow_the_engine(tmp_path):
    """Without a broker: which statements are key lookups, and a key's partition is where the
    engine's own producer puts it (multi-column key in JSON, GROUP BY order != key order)."""
    from types import SimpleNamespace

    from ksql.cluster.key_owner import key_partition
    from ksql.engine import Engine
    from server.pull_forward import _key_lookup

    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM S (A STRING KEY, B INT KEY, V INT) WITH (KAFKA_TOPIC='s', "
            "PARTITIONS=4, KEY_FORMAT='JSON', VALUE_FORMAT='JSON');"
        )
        engine.execute("CREATE TABLE T AS SELECT B, A, COUNT(*) AS N FROM S GROUP BY B, A;")
        table, stream = engine.catalog.source("T"), engine.catalog.source("S")
        state = SimpleNamespace(engine=engine)
        lookup = "SELECT * FROM T WHERE A = 'x' AND 7 = B AND N > 1;"
        found = _key_lookup(engine, engine.prepare(lookup)[0])
        assert found == (table, {"A": "x", "B": 7})
        for not_a_lookup in (
            "SELECT * FROM T;",
            "SELECT * FROM T WHERE A = 'x';",  # not every key column
            "SELECT * FROM T WHERE A = 'x' OR B = 7;",
            "SELECT * FROM T WHERE A = 'x' AND B > 7;",
            "SELECT * FROM T WHERE A = 'x' AND B = 7 EMIT CHANGES;",
            "SELECT * FROM S WHERE A = 'x' AND B = 7;",  # a stream
        ):
            assert _key_lookup(state.engine, engine.prepare(not_a_lookup)[0]) is None, not_a_lookup
        for i in range(20):
            engine.insert_rows("S", [{"A": f"k{i}", "B": i, "V": 1}])
        placed = engine.read_topic("s")
        assert len(set(placed.column("partition").to_pylist())) == 4
        for key, partition in zip(
            placed.column("key").to_pylist(), placed.column("partition").to_pylist(), strict=True
        ):
            values = json.loads(key)  # {"A": ..., "B": ...}
            assert key_partition(4, stream, table, values) == partition
