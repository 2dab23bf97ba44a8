"""The Kafka topic log against a real Kafka-protocol broker (noida-db, started by the tests)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

pytest.importorskip("confluent_kafka")

from confluent_kafka import Consumer, Producer

from ksql.engine import Engine
from ksql.errors import TopicError
from ksql.storage.kafka_log import KafkaTopicLog
from ksql.storage.log import TopicLog
from ksql.storage.partitioner import partition_for_key
from ksql.storage.records import make_records, read_schema

NO_RETENTION = {"retention.ms": "-1"}  # the broker enforces retention against old timestamps


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def log(broker, prefix):
    with KafkaTopicLog(broker.bootstrap, topic_prefix=prefix, topic_config=NO_RETENTION) as kl:
        yield kl


def engine_properties(broker, prefix: str) -> dict[str, str]:
    return {
        "bootstrap.servers": broker.bootstrap,
        "ksql.kafka.topic.prefix": prefix,
        "ksql.kafka.topic.config.retention.ms": "-1",
        "auto.offset.reset": "earliest",
    }


# The log interface -----------------------------------------------------------------------


def test_topics_create_describe_list_delete(log):
    log.create_topic("plain", partitions=3)
    log.create_topic("changelog", config={"cleanup.policy": "compact"})
    assert log.topic_exists("plain") and not log.topic_exists("missing")
    info = log.describe_topic("changelog")
    assert (info.partitions, info.replicas) == (1, 1)
    assert info.config["cleanup.policy"] == "compact"
    assert log.describe_topic("plain").partitions == 3
    assert [t.name for t in log.list_topics()] == ["changelog", "plain"]
    with pytest.raises(TopicError, match="already exists"):
        log.create_topic("plain")
    with pytest.raises(TopicError, match="illegal"):
        log.create_topic("bad name")
    log.delete_topic("plain")
    assert not log.topic_exists("plain")
    assert [t.name for t in log.list_topics()] == ["changelog"]
    with pytest.raises(TopicError, match="does not exist"):
        log.describe_topic("plain")


def test_produce_read_round_trip(log):
    log.create_topic("events", partitions=3)
    keys = [b"alpha", b"beta", b"gamma", b"alpha", b"delta"]
    headers = [[("h1", b"x"), ("h2", None)], None, None, [("trace", b"42")], None]
    values = [b"1", b"2", None, b"4", b"5"]
    log.produce("events", make_records(keys, values, [100, 200, 300, 400, 500], headers))
    rows = []
    for p in range(3):
        assert log.start_offset("events", p) == 0
        batch = log.read("events", p, 0)
        assert batch.schema.equals(read_schema())
        assert log.end_offset("events", p) == batch.num_rows
        assert batch.column("offset").to_pylist() == list(range(batch.num_rows))
        rows.extend(batch.to_pylist())
    assert len(rows) == 5
    for row in rows:
        # Kafka's default partitioner: murmur2 of the key, as the Java client places it.
        assert row["partition"] == partition_for_key(row["key"], 3)
    by_ts = {r["timestamp"]: r for r in rows}
    assert by_ts[100]["headers"] == [{"key": "h1", "value": b"x"}, {"key": "h2", "value": None}]
    assert by_ts[300]["value"] is None  # a tombstone stays a tombstone
    assert by_ts[400]["headers"] == [{"key": "trace", "value": b"42"}]
    alpha = [r for r in rows if r["key"] == b"alpha"]
    assert [r["timestamp"] for r in alpha] == [100, 400] and alpha[0]["offset"] < alpha[1]["offset"]


def test_append_offsets_and_timestamps(log):
    log.create_topic("t", partitions=2)
    first = log.append("t", 1, make_records([b"a", b"b", b"c"], [b"1", b"2", b"3"], [10, 20, 30]))
    second = log.append("t", 1, make_records([b"d"], [b"4"], [40]))
    assert (first, second) == (0, 3)
    assert (log.end_offset("t", 0), log.end_offset("t", 1)) == (0, 4)
    assert log.read("t", 1, 2, max_records=1).column("value").to_pylist() == [b"3"]
    assert log.read("t", 1, 1).column("offset").to_pylist() == [1, 2, 3]
    assert log.read("t", 1, 4).num_rows == 0
    assert log.offset_for_timestamp("t", 1, 15) == 1
    assert log.offset_for_timestamp("t", 1, 40) == 3
    assert log.offset_for_timestamp("t", 1, 41) is None
    with pytest.raises(TopicError, match="Partition 2 does not exist"):
        log.read("t", 2, 0)


def test_placement_matches_embedded_log(log, tmp_path):
    keys = [f"key-{i}".encode() for i in range(200)]
    batch = make_records(keys, [b"v"] * 200, list(range(200)))
    log.create_topic("same", partitions=4)
    log.produce("same", batch)
    with TopicLog(tmp_path / "embedded") as embedded:
        embedded.create_topic("same", partitions=4)
        embedded.produce("same", batch)

        def placement(topic_log) -> set:
            return {
                (r["key"], r["partition"], r["offset"])
                for p in range(4)
                for r in topic_log.read("same", p, 0)
                .select(["key", "partition", "offset"])
                .to_pylist()
            }

        assert placement(log) == placement(embedded)


def test_large_batches_read_in_chunks(log):
    n = 20_000
    log.create_topic("big", partitions=1)
    log.produce("big", make_records([None] * n, [b"x" * 50] * n, list(range(n))))
    offsets = []
    offset = 0
    while True:
        batch = log.read("big", 0, offset, max_records=6000)
        if batch.num_rows == 0:
            break
        offsets.extend(batch.column("offset").to_pylist())
        offset = offsets[-1] + 1
    assert offsets == list(range(n))
    # Two readers at different positions of one partition each get their records.
    assert log.read("big", 0, 5).column("offset")[0].as_py() == 5
    assert log.read("big", 0, 19_999).column("timestamp").to_pylist() == [19_999]


def test_offset_store_uses_consumer_groups(log, broker, prefix):
    log.create_topic("in", partitions=2)
    store = log.offsets
    assert store.committed("query-1", "in", 0) is None
    store.commit("query-1", {("in", 0): 5, ("in", 1): 7})
    assert store.committed("query-1", "in", 1) == 7
    assert store.group_offsets("query-1") == {("in", 0): 5, ("in", 1): 7}
    assert "query-1" in store.groups()
    # Ordinary consumer-group offsets: a plain Kafka consumer sees them.
    plain = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": prefix + "query-1"})
    try:
        from confluent_kafka import TopicPartition

        seen = plain.committed([TopicPartition(prefix + "in", 0)], timeout=10)
        assert seen[0].offset == 5
    finally:
        plain.close()


def test_wait_for_append_and_listeners(log):
    log.create_topic("w")
    events = []
    log.add_listener(lambda t, p, end: events.append((t, p, end)))
    since = log.append_seq
    log.produce("w", make_records([b"k"], [b"v"], [1]))
    assert log.wait_for_append(1.0, since)
    assert events == [("w", 0, 1)]
    assert not log.wait_for_append(0.05)


# The engine on Kafka ---------------------------------------------------------------------


def test_engine_picks_backend_from_bootstrap_servers(broker, prefix, tmp_path):
    with Engine(tmp_path / "a") as embedded:
        assert isinstance(embedded.log, TopicLog)
    with Engine(tmp_path / "b", properties=engine_properties(broker, prefix)) as on_kafka:
        assert isinstance(on_kafka.log, KafkaTopicLog)


def test_engine_query_aggregation_and_join(broker, prefix, tmp_path):
    with Engine(tmp_path, properties=engine_properties(broker, prefix)) as engine:
        engine.log.create_topic("orders", partitions=2)
        engine.log.create_topic("users", partitions=2)
        engine.execute(
            "CREATE STREAM ORDERS (USER_ID STRING KEY, AMOUNT INT) "
            "WITH (kafka_topic='orders', value_format='JSON');"
            "CREATE TABLE USERS (USER_ID STRING PRIMARY KEY, NAME STRING) "
            "WITH (kafka_topic='users', value_format='JSON');"
            "CREATE STREAM BIG AS SELECT USER_ID, AMOUNT * 10 AS AMOUNT10 FROM ORDERS "
            "WHERE AMOUNT > 2;"
            "CREATE TABLE TOTALS AS SELECT USER_ID, COUNT(*) AS N, SUM(AMOUNT) AS TOTAL "
            "FROM ORDERS GROUP BY USER_ID;"
            "CREATE STREAM ENRICHED AS SELECT O.USER_ID AS USER_ID, U.NAME AS NAME, O.AMOUNT "
            "FROM ORDERS O JOIN USERS U ON O.USER_ID = U.USER_ID;"
        )
        for user, name in (("u1", "ann"), ("u2", "bob")):
            engine.produce("users", user.encode(), orjson.dumps({"NAME": name}), 1000)
        engine.run_until_idle()
        for i, user in enumerate(["u1", "u2", "u1", "u2", "u1"]):
            engine.produce("orders", user.encode(), orjson.dumps({"AMOUNT": i + 1}), 2000 + i)
        engine.run_until_idle()

        big = engine.read_topic("BIG").to_pylist()
        assert sorted(orjson.loads(r["value"])["AMOUNT10"] for r in big) == [30, 40, 50]
        totals = {}
        for r in engine.read_topic("TOTALS").sort_by("timestamp").to_pylist():
            totals[r["key"]] = orjson.loads(r["value"])
        assert totals == {b"u1": {"N": 3, "TOTAL": 9}, b"u2": {"N": 2, "TOTAL": 6}}
        joined = sorted(
            (r["key"], orjson.loads(r["value"])["NAME"])
            for r in engine.read_topic("ENRICHED").to_pylist()
        )
        assert joined == [(b"u1", "ann")] * 3 + [(b"u2", "bob")] * 2
        pulled = engine.execute("SELECT * FROM TOTALS WHERE USER_ID = 'u2';")[0]
        assert [list(row) for row in pulled.rows] == [["u2", 2, 6]]
        assert not [q for q in engine.catalog.queries.values() if q.state == "ERROR"]


def test_external_producers_and_plain_consumer(broker, prefix, tmp_path):
    """confluent-kafka and aiokafka producers feed a query; a plain consumer reads its output."""
    from aiokafka import AIOKafkaProducer

    topic, out = prefix + "clicks", prefix + "CLICKS_OUT"
    with Engine(tmp_path, properties=engine_properties(broker, prefix)) as engine:
        engine.log.create_topic("clicks", partitions=3)
        engine.execute(
            "CREATE STREAM CLICKS (PAGE STRING KEY, MS INT, SRC STRING) "
            "WITH (kafka_topic='clicks', value_format='JSON');"
            "CREATE STREAM CLICKS_OUT AS SELECT PAGE, SRC, MS / 1000 AS SECONDS FROM CLICKS "
            "WHERE MS >= 1000;"
        )
        producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
        for i in range(6):
            value = orjson.dumps({"MS": i * 1000, "SRC": "confluent"})
            producer.produce(topic, value, f"page{i % 2}".encode(), timestamp=10_000 + i)
        assert producer.flush(10) == 0

        async def send_with_aiokafka() -> None:
            aio = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True)
            await aio.start()
            try:
                for i in range(4):
                    value = orjson.dumps({"MS": 5000 + i, "SRC": "aiokafka"})
                    await aio.send_and_wait(topic, value, key=b"page9", timestamp_ms=20_000 + i)
            finally:
                await aio.stop()

        asyncio.run(send_with_aiokafka())
        engine.run_until_idle()

        consumer = Consumer(
            {
                "bootstrap.servers": broker.bootstrap,
                "group.id": prefix + "reader",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([out])
        received = []
        try:
            for _ in range(100):
                received.extend(m for m in consumer.consume(20, 0.2) if m.error() is None)
                if len(received) >= 9:
                    break
        finally:
            consumer.close()
    rows = sorted(
        (
            m.key(),
            orjson.loads(m.value())["SRC"],
            orjson.loads(m.value())["SECONDS"],
            m.timestamp()[1],
        )
        for m in received
    )
    expected_confluent = [
        (f"page{i % 2}".encode(), "confluent", i, 10_000 + i) for i in range(1, 6)
    ]
    expected_aiokafka = [(b"page9", "aiokafka", 5, 20_000 + i) for i in range(4)]
    assert rows == sorted(expected_confluent + expected_aiokafka)


def test_engine_restart_resumes_from_kafka_offsets(broker, prefix, tmp_path):
    props = engine_properties(broker, prefix)
    with Engine(tmp_path, properties=props) as engine:
        engine.log.create_topic("src")
        engine.execute(
            "CREATE STREAM SRC (K STRING KEY, V INT) WITH (kafka_topic='src', value_format='JSON');"
            "CREATE STREAM DST AS SELECT K, V FROM SRC;"
        )
        engine.produce("src", b"a", orjson.dumps({"V": 1}), 1)
        engine.run_until_idle()
    with Engine(tmp_path, properties=props) as engine:
        engine.produce("src", b"b", orjson.dumps({"V": 2}), 2)
        engine.run_until_idle()
        values = [orjson.loads(r["value"])["V"] for r in engine.read_topic("DST").to_pylist()]
    assert values == [1, 2]  # nothing lost, nothing read twice


def test_table_read_schema_matches_embedded(log):
    log.create_topic("e")
    assert log.read("e", 0, 0).schema.equals(read_schema())
    assert isinstance(log.read("e", 0, 0), pa.RecordBatch)


def test_timestamp_zero_is_kept(log, broker, prefix):
    """librdkafka turns timestamp 0 into "now"; the log still writes CreateTime 0."""
    log.create_topic("epoch", partitions=2)
    batch = make_records([b"a", b"b", b"c", b"d"], [b"1", b"2", b"3", b"4"], [0, 5, 0, 0])
    log.produce("epoch", batch)
    base = log.append("epoch", 0, make_records([b"z"], [b"9"], [0]))
    rows = [r for p in range(2) for r in log.read("epoch", p, 0).to_pylist()]
    assert sorted((r["key"], r["timestamp"]) for r in rows) == [
        (b"a", 0), (b"b", 5), (b"c", 0), (b"d", 0), (b"z", 0)
    ]  # fmt: skip
    assert base == log.end_offset("epoch", 0) - 1
    # Each partition keeps the order the records were given in.
    for p in range(2):
        given = [k for k in (b"a", b"b", b"c", b"d") if partition_for_key(k, 2) == p]
        got = [r["key"] for r in rows if r["partition"] == p and r["key"] != b"z"]
        assert got == given


ROOT = Path(__file__).resolve().parents[1]
CORPUS = (
    Path(os.environ.get("KSQL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance")) / "qtt"
)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present")
def test_conformance_on_kafka_matches_embedded(broker, capsys):
    from ksql.conformance.__main__ import main

    files = ["--files", "select,count,table-table-join"]
    main([str(CORPUS), *files])
    embedded = capsys.readouterr().out.strip().splitlines()[-1]
    main([str(CORPUS), *files, "--backend", "kafka", "--bootstrap", broker.bootstrap])
    on_kafka = capsys.readouterr().out.strip().splitlines()[-1]
    assert on_kafka == embedded
    assert int(on_kafka.split()[0]) > 0


def test_running_engine_picks_up_external_records(broker, prefix, tmp_path):
    """With start(), a query sees records another client writes, without being stepped."""
    import time

    with Engine(tmp_path, properties=engine_properties(broker, prefix)) as engine:
        engine.log.create_topic("live")
        engine.execute(
            "CREATE STREAM LIVE (K STRING KEY, V INT) WITH (kafka_topic='live', value_format='JSON');"
            "CREATE STREAM LIVE_OUT AS SELECT K, V + 1 AS V1 FROM LIVE;"
        )
        engine.start()
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        producer.produce(prefix + "live", orjson.dumps({"V": 41}), b"k", timestamp=7)
        assert producer.flush(10) == 0
        deadline = time.monotonic() + 10
        rows = []
        while time.monotonic() < deadline and not rows:
            rows = engine.read_topic("LIVE_OUT").to_pylist()
            time.sleep(0.05)
    assert [(r["key"], orjson.loads(r["value"]), r["timestamp"]) for r in rows] == [
        (b"k", {"V1": 42}, 7)
    ]
