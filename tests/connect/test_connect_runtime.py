"""The connect runtime through ksql's statements: connectors created with SQL run as tasks,
store their offsets, survive a restart of the engine, write each record once after a crash
between append and offset commit, send bad records to the dead-letter topic, and report
their state."""

from __future__ import annotations

import json
import time

import pytest

from ksql.connect import api
from ksql.connect.offsets import OffsetStore
from ksql.engine import Engine
from ksql.errors import KsqlError
from tests.support.waiting import wait_for

# --------------------------------------------------------------------- plug-ins under test


class CounterTask(api.SourceTask):
    """Emits "0", "1", ... up to `count`, `batch` records per poll, from its stored offset."""

    def start(self, config, context):
        self.topic = config["topic"]
        self.count = int(config.get("count", "10"))
        self.batch = int(config.get("batch", "3"))
        stored = context.offset({"counter": self.topic})
        self.next = stored["next"] if stored else 0

    def poll(self):
        if self.next >= self.count:
            time.sleep(0.02)
            return []
        out = []
        for n in range(self.next, min(self.count, self.next + self.batch)):
            out.append(
                api.SourceRecord(
                    self.topic,
                    key=str(n % 4),
                    value=str(n),
                    key_schema=None,
                    source_partition={"counter": self.topic},
                    source_offset={"next": n + 1},
                )
            )
        self.next += len(out)
        return out

    def offset_order(self, source_partition, offset):
        return (offset["next"],)


class CounterSource(api.SourceConnector):
    task_class = CounterTask


class CollectTask(api.SinkTask):
    """Keeps what it was given in COLLECTED[name]; raises once when told to."""

    def start(self, config, context):
        self.name = context.connector_name
        self.context = context
        COLLECTED.setdefault(self.name, [])

    def put(self, records):
        for record in records:
            if record.value == {"bad": True}:
                self.context.report(record, ValueError("refused by the target"))
                continue
            COLLECTED[self.name].append(
                (record.topic, record.partition, record.offset, record.key, record.value)
            )

    def flush(self, positions):
        FLUSHED.setdefault(self.name, []).append(dict(positions))


class CollectSink(api.SinkConnector):
    task_class = CollectTask


class FailingTask(CounterTask):
    def poll(self):
        raise RuntimeError("the source is down")


class FailingSource(api.SourceConnector):
    task_class = FailingTask


COLLECTED: dict[str, list] = {}
FLUSHED: dict[str, list] = {}

STRINGS = (
    "'key.converter'='org.apache.kafka.connect.storage.StringConverter', "
    "'value.converter'='org.apache.kafka.connect.storage.StringConverter'"
)


def values(engine, topic):
    if engine.topic_info(topic) is None:
        return []
    return [v.decode() for v in engine.read_topic(topic).column("value").to_pylist()]


def counter_sql(name, topic, count=10, batch=3):
    return (
        f"CREATE SOURCE CONNECTOR {name} WITH ('connector.class'='CounterSource', "
        f"'topic'='{topic}', 'count'='{count}', 'batch'='{batch}', {STRINGS});"
    )


# --------------------------------------------------------------------- tests


def test_source_connector_writes_its_records_and_resumes_after_restart(tmp_path):
    with Engine(tmp_path) as engine:
        (result,) = engine.execute(counter_sql("c1", "numbers", count=10))
        assert result.info["name"] == "C1" and result.info["type"] == "source"
        wait_for(lambda: len(values(engine, "numbers")) == 10, what="10 records")
        listed = engine.execute("SHOW CONNECTORS;")[0].connectors
        assert [(c["name"], c["type"], c["className"]) for c in listed] == [
            ("C1", "source", "CounterSource")
        ]
        assert listed[0]["state"] == "RUNNING (1/1 tasks RUNNING)"
    # The connector comes back from the command log and goes on from its stored offset.
    with Engine(tmp_path) as engine:
        assert engine.connect.names() == ["C1"]
        time.sleep(0.5)
        assert values(engine, "numbers") == [str(n) for n in range(10)]


def test_records_are_placed_by_key_and_keyed_like_kafka(tmp_path):
    with Engine(tmp_path) as engine:
        engine.create_topic("keyed", partitions=3)
        engine.execute(counter_sql("c2", "keyed", count=12))
        wait_for(lambda: engine.read_topic("keyed").num_rows == 12)
        table = engine.read_topic("keyed").to_pydict()
        by_key = {}
        for key, partition in zip(table["key"], table["partition"], strict=True):
            by_key.setdefault(key, set()).add(partition)
        assert all(len(parts) == 1 for parts in by_key.values())


def test_a_crash_between_append_and_offset_commit_writes_nothing_twice(tmp_path, monkeypatch):
    real_put = OffsetStore.put
    calls = {"n": 0}

    def put_failing_once(self, kind, connector, state):
        calls["n"] += 1
        if kind == "source" and calls["n"] == 2:  # the second batch is appended, then...
            raise OSError("killed before the offsets were stored")
        return real_put(self, kind, connector, state)

    monkeypatch.setattr(OffsetStore, "put", put_failing_once)
    monkeypatch.setattr("ksql.connect.task_thread.FIRST_BACKOFF_S", 0.1)
    with Engine(tmp_path) as engine:
        engine.execute(counter_sql("c3", "once", count=9, batch=3))
        wait_for(lambda: len(values(engine, "once")) >= 9, what="9 records")
        time.sleep(0.3)
        assert values(engine, "once") == [str(n) for n in range(9)]
        assert engine.connect.status("C3")["tasks"][0]["state"] == "RUNNING"


def test_sink_connector_reads_topics_and_sends_bad_records_to_the_dead_letter_topic(tmp_path):
    with Engine(tmp_path) as engine:
        engine.create_topic("orders")
        for value in (b'{"id": 1}', b"not json", b'{"bad": true}', b'{"id": 2}'):
            engine.produce("orders", b"k", value)
        engine.execute(
            "CREATE SINK CONNECTOR s1 WITH ('connector.class'='CollectSink', 'topics'='orders', "
            "'key.converter'='org.apache.kafka.connect.storage.StringConverter', "
            "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
            "'value.converter.schemas.enable'='false', 'errors.tolerance'='all', "
            "'errors.deadletterqueue.topic.name'='dlq', "
            "'errors.deadletterqueue.context.headers.enable'='true');"
        )
        wait_for(lambda: len(COLLECTED.get("S1", [])) == 2, what="2 good records")
        assert [r[4] for r in COLLECTED["S1"]] == [{"id": 1}, {"id": 2}]
        assert [r[3] for r in COLLECTED["S1"]] == ["k", "k"]
        wait_for(lambda: engine.topic_info("dlq") and engine.read_topic("dlq").num_rows == 2)
        dead = engine.read_topic("dlq").to_pydict()
        assert dead["value"] == [b"not json", b'{"bad": true}']
        headers = {h["key"]: h["value"] for h in dead["headers"][1]}
        assert headers["__connect.errors.offset"] == b"2"
        assert b"refused by the target" in headers["__connect.errors.exception.message"]
        assert engine.connect.status("S1")["tasks"][0]["state"] == "RUNNING"


def test_sink_positions_survive_a_restart(tmp_path):
    with Engine(tmp_path) as engine:
        engine.create_topic("events")
        engine.produce("events", None, b"1")
        engine.execute(
            "CREATE SINK CONNECTOR s2 WITH ('connector.class'='CollectSink', 'topics'='events', "
            f"{STRINGS});"
        )
        wait_for(lambda: len(COLLECTED.get("S2", [])) == 1)
    with Engine(tmp_path) as engine:
        engine.produce("events", None, b"2")
        wait_for(lambda: len(COLLECTED["S2"]) == 2)
        time.sleep(0.3)
        assert [r[4] for r in COLLECTED["S2"]] == ["1", "2"]


def test_a_failing_task_is_failed_with_its_trace_and_retried(tmp_path, monkeypatch):
    monkeypatch.setattr("ksql.connect.task_thread.FIRST_BACKOFF_S", 0.1)
    with Engine(tmp_path) as engine:
        engine.execute(
            f"CREATE SOURCE CONNECTOR f1 WITH ('connector.class'='FailingSource', "
            f"'topic'='t', {STRINGS});"
        )
        status = wait_for(
            lambda: (s := engine.connect.status("F1"))["tasks"][0]["state"] == "FAILED" and s
        )
        assert "the source is down" in status["tasks"][0]["trace"]
        wait_for(lambda: engine.connect._connectors["F1"].tasks[0].restarts >= 2, what="retries")
        (description,) = engine.execute("DESCRIBE CONNECTOR f1;")
        assert description.status["tasks"][0]["state"] == "FAILED"
        assert description.connector_class == "FailingSource"


def test_describe_lists_the_sources_over_the_connector_topics(tmp_path):
    with Engine(tmp_path) as engine:
        engine.execute(counter_sql("c4", "described", count=2))
        engine.execute(
            "CREATE STREAM described_s (v VARCHAR) WITH (kafka_topic='described', "
            "value_format='KAFKA', partitions=1);"
        )
        wait_for(lambda: engine.connect.topics("C4") == ["described"])
        (description,) = engine.execute("DESCRIBE CONNECTOR c4;")
        assert description.topics == ("described",)
        assert [s.source.name for s in description.sources] == ["DESCRIBED_S"]


def test_pause_and_resume(tmp_path):
    with Engine(tmp_path) as engine:
        engine.execute(counter_sql("c5", "paused", count=1000, batch=1))
        wait_for(lambda: len(values(engine, "paused")) > 0)
        engine.connect.pause("C5")
        assert engine.connect.status("C5")["connector"]["state"] == "PAUSED"
        time.sleep(0.3)
        count = len(values(engine, "paused"))
        time.sleep(0.3)
        assert len(values(engine, "paused")) == count
        engine.connect.resume("C5")
        wait_for(lambda: len(values(engine, "paused")) > count)


def test_statement_errors(tmp_path):
    with Engine(tmp_path) as engine:
        with pytest.raises(KsqlError, match="Failed to create connector: .*matches Nope"):
            engine.execute("CREATE SOURCE CONNECTOR x WITH ('connector.class'='Nope');")
        with pytest.raises(KsqlError, match="is a sink connector, not a source connector"):
            engine.execute("CREATE SOURCE CONNECTOR x WITH ('connector.class'='CollectSink');")
        with pytest.raises(KsqlError, match="Must configure one of topics or topics.regex"):
            engine.execute("CREATE SINK CONNECTOR x WITH ('connector.class'='CollectSink');")
        engine.execute(counter_sql("dup", "d", count=1))
        with pytest.raises(KsqlError, match="Connector DUP already exists"):
            engine.execute(counter_sql("dup", "d", count=1))
        (warning,) = engine.execute(counter_sql("IF NOT EXISTS dup", "d", count=1))
        assert warning.message == "Connector DUP already exists"
        with pytest.raises(KsqlError, match="Connector NOPE not found"):
            engine.execute("DROP CONNECTOR nope;")
        engine.execute("DROP CONNECTOR dup;")
        assert engine.connect.names() == []


def test_jdbc_template_turns_key_into_transforms():
    from ksql.connect.templates import resolve_config

    resolved = resolve_config(
        {
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "key": "id",
        }
    )
    assert resolved["transforms"] == "ksqlCreateKey,ksqlExtractString"
    assert resolved["transforms.ksqlCreateKey.fields"] == "id"
    assert resolved["transforms.ksqlExtractString.field"] == "id"
    assert resolved["tasks.max"] == "1"
    assert "key" not in resolved


def test_offsets_store_is_a_topic(tmp_path):
    with Engine(tmp_path) as engine:
        engine.execute(counter_sql("c6", "stored", count=3))
        wait_for(lambda: len(values(engine, "stored")) == 3)
        time.sleep(0.2)
        records = engine.read_topic("_ksql-connect-offsets").to_pydict()
        last = json.loads(records["value"][-1])
        assert last["offsets"] == {'{"counter":"stored"}': {"next": 3}}
        assert last["written"] == {"stored/0": 3}
        assert "_ksql-connect-offsets" not in [
            t.name for t in engine.execute("SHOW TOPICS;")[0].topics
        ]


def test_on_kafka_offsets_live_in_kafka_and_a_new_server_resumes_from_them(tmp_path, broker):
    import uuid

    props = {
        "bootstrap.servers": broker.bootstrap,
        "ksql.kafka.topic.prefix": f"c{uuid.uuid4().hex[:8]}-",
        "ksql.kafka.topic.config.retention.ms": "-1",
        "ksql.service.id": f"connect_{uuid.uuid4().hex[:6]}_",
    }
    with Engine(tmp_path / "first", properties=props) as engine:
        engine.execute(counter_sql("k1", "kafka-numbers", count=6, batch=2))
        wait_for(
            lambda: (
                engine.topic_info("kafka-numbers") and len(values(engine, "kafka-numbers")) == 6
            ),
            what="6 records on Kafka",
        )
        assert engine.log.topic_exists("_ksql-connect-offsets")
    # Another server of the same service id, with an empty data directory: the connector comes
    # from the command topic and its offsets from Kafka, so nothing is written twice.
    with Engine(tmp_path / "second", properties=props) as engine:
        assert engine.connect.names() == ["K1"]
        time.sleep(1.0)
        assert values(engine, "kafka-numbers") == [str(n) for n in range(6)]


def test_example_plugin_loads_from_the_extension_dir(tmp_path):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples" / "connectors"
    with Engine(tmp_path, properties={"ksql.extension.dir": str(examples)}) as engine:
        engine.execute(
            "CREATE SOURCE CONNECTOR numbers WITH ('connector.class'='RandomNumbersConnector', "
            "'topic'='random', 'count'='250', 'seed'='7', "
            "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
            "'value.converter.schemas.enable'='false');"
        )
        wait_for(lambda: len(values(engine, "random")) == 250, what="250 numbers")
        rows = [json.loads(v) for v in values(engine, "random")]
        assert [r["n"] for r in rows] == list(range(250))
        assert all(0 <= r["value"] <= 99 for r in rows)
        with pytest.raises(KsqlError, match='Missing required configuration "topic"'):
            engine.execute(
                "CREATE SOURCE CONNECTOR bad WITH ('connector.class'='RandomNumbersConnector');"
            )
