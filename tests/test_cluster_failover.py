"""Scale-out acceptance: two `ksql-server` processes share a query's partitions; one is killed.

A real broker (noida-db) and two real server processes with one `ksql.service.id` run a
persistent COUNT/SUM GROUP BY the key (and a COUNT GROUP BY a value column, which goes through a
repartition topic) over a 4-partition topic fed by a plain confluent-kafka producer.
Both servers own partitions and advance them; one is SIGKILLed mid-stream, the survivor takes
its partitions over (restoring their state from the changelog), and the final table -- read by
a plain consumer from the output topic and by a pull query -- equals what one server computes
over the same input: nothing lost, nothing counted twice (exactly_once_v2).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

import pytest

pytest.importorskip("confluent_kafka")

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from ksql.conformance.rest_server import ServerProcess

pytestmark = pytest.mark.slow  # minutes: `pytest -m 'not slow'` runs the fast suite

KEYS = 40
RECORDS = 3000


def server_properties(bootstrap: str, service_id: str) -> str:
    return "\n".join(
        [
            f"bootstrap.servers={bootstrap}",
            f"ksql.service.id={service_id}",
            "ksql.streams.auto.offset.reset=earliest",
            "ksql.streams.processing.guarantee=exactly_once_v2",
            "ksql.streams.session.timeout.ms=6000",
            "ksql.kafka.topic.config.retention.ms=-1",
            "",
        ]
    )


def ksql(server: ServerProcess, sql: str) -> list:
    result = server.post("/ksql", {"ksql": sql, "streamsProperties": {}})
    assert result.status == 200, result.body[:500]
    return json.loads(result.body)


def members(server: ServerProcess) -> dict:
    result = server.get("/clusterStatus")
    assert result.status == 200, result.body[:500]
    return json.loads(result.body)["clusterStatus"]


def owned(status: dict, query_id: str) -> dict[str, dict[str, int]]:
    """Per live member: partition -> next offset of the query's source it owns."""
    out = {}
    for host, member in status.items():
        entry = member["activeStandbyPerQuery"].get(query_id)
        if member["hostAlive"] and entry is not None:
            out[host] = {p: int(o) for p, o in entry["positions"].items()}
    return out


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def pull(server: ServerProcess, table: str) -> dict:
    """A pull query (table scan): first column -> second column."""
    result = server.post("/query", {"ksql": f"SELECT * FROM {table};", "streamsProperties": {}})
    assert result.status == 200, result.body[:500]
    return {r["row"]["columns"][0]: r["row"]["columns"][1] for r in json.loads(result.body)
            if "row" in r}  # fmt: skip


def last_values(bootstrap: str, topic: str) -> dict[str, dict]:
    """The output topic read by a plain read_committed consumer: last value per key."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False})  # fmt: skip
    try:
        tps = [TopicPartition(topic, p, 0) for p in range(4)]
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), 10)[1] for p in range(4)
        }
        consumer.assign(tps)
        table: dict[str, dict] = {}
        done = {p for p, e in ends.items() if e == 0}
        deadline = time.monotonic() + 20
        while len(done) < 4 and time.monotonic() < deadline:
            for m in consumer.consume(500, 0.5):
                if m.error():
                    continue
                key = m.key().decode()
                if m.value() is None:
                    table.pop(key, None)
                else:
                    table[key] = json.loads(m.value())
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
            for p in range(4):
                if consumer.position([TopicPartition(topic, p)])[0].offset >= ends[p]:
                    done.add(p)
        return table
    finally:
        consumer.close()


def test_two_servers_share_partitions_and_survive_a_kill(broker, tmp_path):
    service_id = f"svc{uuid.uuid4().hex[:6]}_"
    source, sink = f"clicks{uuid.uuid4().hex[:6]}", f"TOTALS{uuid.uuid4().hex[:6]}".upper()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for future in admin.create_topics(
        [NewTopic(source, 4, 1, config={"retention.ms": "-1"})]
    ).values():
        future.result()
    props = server_properties(broker.bootstrap, service_id)
    args = ("--log-level", "INFO")
    a = ServerProcess(data_dir=tmp_path / "a", properties=props, extra_args=args)
    b = None
    try:
        # Step 1: one server creates the stream and the aggregation (recorded on the command topic).
        ksql(a, f"CREATE STREAM CLICKS (USER_ID STRING KEY, AMOUNT INT) "
                f"WITH (KAFKA_TOPIC='{source}', VALUE_FORMAT='JSON');")  # fmt: skip
        created = ksql(a, f"CREATE TABLE {sink} AS SELECT USER_ID, COUNT(*) AS N, "
                          f"SUM(AMOUNT) AS TOTAL FROM CLICKS GROUP BY USER_ID;")  # fmt: skip
        query_id = created[0]["commandStatus"]["queryId"]
        # A second one groups by a value column: it runs through a repartition topic.
        ksql(a, f"CREATE TABLE {sink}_BY_AMOUNT AS SELECT AMOUNT, COUNT(*) AS N FROM CLICKS "
                "GROUP BY AMOUNT;")  # fmt: skip
        # Step 2: the second server replays the command topic and joins the query's group.
        b = ServerProcess(data_dir=tmp_path / "b", properties=props, extra_args=args)
        split = wait_for(
            lambda: (
                (o := owned(members(a), query_id))
                and len(o) == 2
                and all(len(ps) == 2 for ps in o.values())
                and o
            ),
            30,
            "both servers to own two partitions each",
        )
        assert sorted(p for ps in split.values() for p in ps) == ["0", "1", "2", "3"]

        # Step 3: a plain producer feeds the topic while the servers run.
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
        expected: dict[str, list[int]] = {}
        sent = [0]

        def produce(start: int, stop: int, pause_s: float) -> None:
            for i in range(start, stop):
                key, amount = f"user{i % KEYS}", i % 7
                producer.produce(source, json.dumps({"AMOUNT": amount}).encode(), key.encode(),
                                 timestamp=1_700_000_000_000 + i)  # fmt: skip
                n, total = expected.get(key, [0, 0])
                expected[key] = [n + 1, total + amount]
                sent[0] = i + 1
                if i % 100 == 99:
                    producer.flush(10)
                    time.sleep(pause_s)
            producer.flush(10)

        produce(0, RECORDS // 3, 0.05)
        # Step 4: both servers process their own partitions.
        progressed = wait_for(
            lambda: (
                (o := owned(members(b), query_id))
                and len(o) == 2
                and all(any(pos > 0 for pos in ps.values()) for ps in o.values())
                and o
            ),
            30,
            "both servers to advance their partitions",
        )
        assert len(progressed) == 2

        # Step 5: kill one server mid-stream (SIGKILL, no shutdown code) and keep producing.
        feeder = threading.Thread(target=produce, args=(RECORDS // 3, RECORDS, 0.1))
        feeder.start()
        time.sleep(0.7)
        a.kill()
        killed_at = sent[0]
        feeder.join()
        assert RECORDS // 3 < killed_at < RECORDS  # the input kept coming after the kill

        # Step 6: the survivor owns all four partitions and reaches the end of the input.
        def survivor_done():
            o = owned(members(b), query_id)
            mine = [ps for host, ps in o.items() if host.endswith(f":{b.port}")]
            return mine and len(mine[0]) == 4 and sum(mine[0].values()) == RECORDS

        try:
            wait_for(survivor_done, 40, "the survivor to take over and catch up")
        except AssertionError:
            raise AssertionError(f"{members(b)}\n{b.log_text()[-4000:]}") from None
        assert not members(b)[f"127.0.0.1:{a.port}"]["hostAlive"]
        # It rebuilt the dead server's state from the changelog before going on.
        assert re.search(r"restored [1-9]\d* state rows of partitions \[0, 1, 2, 3\]", b.log_text())

        # Step 7: the final table equals one server's result over the same input.
        want = {k: {"N": n, "TOTAL": t} for k, (n, t) in expected.items()}
        assert sum(n for n, _ in expected.values()) == RECORDS
        assert last_values(broker.bootstrap, sink) == want
        # A pull query (a table scan) on the survivor gives the same table.
        result = b.post("/query", {"ksql": f"SELECT * FROM {sink};", "streamsProperties": {}})
        assert result.status == 200, result.body[:500]
        rows = [r["row"]["columns"] for r in json.loads(result.body) if "row" in r]
        assert {k: {"N": n, "TOTAL": t} for k, n, t in rows} == want
        # The re-keyed aggregation reaches the same counts as one server would.
        by_amount = {v: sum(1 for i in range(RECORDS) if i % 7 == v) for v in range(7)}
        try:
            wait_for(lambda: pull(b, f"{sink}_BY_AMOUNT") == by_amount, 30, "GROUP BY AMOUNT")
        except AssertionError:
            raise AssertionError(f"{pull(b, f'{sink}_BY_AMOUNT')} != {by_amount}") from None
    finally:
        a.kill()
        a.stop()
        if b is not None:
            b.stop()
