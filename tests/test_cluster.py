"""Cluster mode in one process: the shared command topic, leases, refusals (real broker)."""

from __future__ import annotations

import time
import uuid

import pytest

pytest.importorskip("confluent_kafka")

from ksql.cluster.commands import command_topic_name
from ksql.cluster.leases import range_assignment
from ksql.engine import Engine
from ksql.errors import StatementError

pytestmark = pytest.mark.slow  # minutes: `pytest -m 'not slow'` runs the fast suite


@pytest.fixture
def props(broker):
    return {
        "bootstrap.servers": broker.bootstrap,
        "ksql.kafka.topic.prefix": f"c{uuid.uuid4().hex[:8]}-",
        "ksql.kafka.topic.config.retention.ms": "-1",
        "auto.offset.reset": "earliest",
    }


def rows(engine: Engine, sql: str) -> list[tuple]:
    return sorted(tuple(r) for r in engine.execute(sql)[0].rows)


def step_until(engines, predicate, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for e in engines:
            e.step()
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def test_range_assignment_splits_like_kafka():
    members = ["a", "b", "c"]
    parts = [range_assignment(members, 8, m) for m in members]
    assert parts == [{0, 1, 2}, {3, 4, 5}, {6, 7}]
    assert range_assignment(["a"], 4, "a") == {0, 1, 2, 3}
    assert range_assignment(["a"], 4, "z") == set()


def test_command_topic_is_shared_and_replayed(props, tmp_path):
    a = Engine(tmp_path / "a", properties=props)
    b = Engine(tmp_path / "b", properties=props)
    try:
        assert a.log.topic_exists(command_topic_name("default_"))
        a.log.create_topic("src", 2)
        a.execute(
            "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
        )
        # The other server applies it before running its own statement, exactly once.
        b.execute("CREATE STREAM S2 AS SELECT ID, V * 2 AS W FROM S;")
        assert "S" in b.catalog.sources and "S2" in b.catalog.sources
        a.sync_commands()
        assert "S2" in a.catalog.sources
        assert list(a.catalog.queries) == list(b.catalog.queries) == ["CSAS_S2_0"]
        assert not (tmp_path / "a" / "commands.jsonl").exists()
    finally:
        a.close()
        b.close()
    # A new server (or a restart) replays the topic in order.
    c = Engine(tmp_path / "c", properties=props)
    try:
        assert {"S", "S2"} <= set(c.catalog.sources)
        assert list(c.catalog.queries) == ["CSAS_S2_0"]
    finally:
        c.close()


def test_cluster_mode_refuses_aggregating_a_table(props, tmp_path):
    e = Engine(tmp_path, properties={**props, "ksql.cluster.enabled": "true"})
    try:
        e.log.create_topic("src", 2)
        e.execute(
            "CREATE TABLE U (ID STRING PRIMARY KEY, V INT) "
            "WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
        )
        with pytest.raises(StatementError, match="over a TABLE are not supported"):
            e.execute("CREATE TABLE T AS SELECT V, COUNT(*) AS N FROM U GROUP BY V;")
        assert "T" not in e.catalog.sources
    finally:
        e.close()


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_group_by_another_key_goes_through_a_repartition_topic(props, tmp_path, guarantee):
    cluster = {**props, "ksql.cluster.enabled": "true", "processing.guarantee": guarantee}
    a = Engine(tmp_path / "a", properties={**cluster, "ksql.advertised.listener": "http://a"})
    b = Engine(tmp_path / "b", properties={**cluster, "ksql.advertised.listener": "http://b"})
    try:
        a.log.create_topic("src", 4)
        a.execute(
            "CREATE STREAM S (ID STRING KEY, REGION STRING, V INT) "
            "WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
        )
        a.execute(
            "CREATE TABLE T AS SELECT REGION, COUNT(*) AS N, SUM(V) AS TOTAL FROM S "
            "WHERE V > 0 GROUP BY REGION;"
        )
        assert a.log.topic_exists(
            "_confluent-ksql-default_query_CTAS_T_0-Aggregate-GroupBy-repartition"
        )
        # EXPLAIN shows the two stages and the topics the cluster made for the query.
        (explained,) = a.execute("EXPLAIN CTAS_T_0;")
        assert "RepartitionedAggregation (aggregation)" in explained.topology
        assert "Re-key by the GROUP BY and write the repartition topic" in explained.topology
        for suffix in ("GroupBy-repartition", "Aggregate-Materialize-changelog"):
            topic = f"_confluent-ksql-default_query_CTAS_T_0-Aggregate-{suffix}"
            assert f"internal: {topic}" in explained.topology
        for i in range(400):
            value = b'{"REGION": "r%d", "V": %d}' % (i % 6, i % 5)
            a.produce("src", f"k{i % 50}".encode(), value, 1000 + i)

        want = sorted(
            (f"r{r}", sum(1 for i in range(400) if i % 6 == r and i % 5 > 0),
             sum(i % 5 for i in range(400) if i % 6 == r))
            for r in range(6)
        )  # fmt: skip

        def done():
            stages = [e.cluster.assignments() for e in (a, b)]
            first = sum(sum(s["CTAS_T_0-GroupBy"]["positions"].values()) for s in stages)
            both = all(s["CTAS_T_0"]["positions"] for s in stages)
            return first == 400 and both and rows(a, "SELECT * FROM T;") == want

        step_until([a, b], done)
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize(
    ("guarantee", "assignment"),
    [("at_least_once", "leases"), ("exactly_once_v2", "leases"), ("exactly_once_v2", "group")],
)
def test_two_engines_split_partitions_and_one_takes_over(props, tmp_path, guarantee, assignment):
    cluster = {
        **props,
        "ksql.cluster.enabled": "true",
        "ksql.cluster.assignment": assignment,
        "processing.guarantee": guarantee,
        "ksql.cluster.member.timeout.ms": "2000",
    }
    a = Engine(tmp_path / "a", properties={**cluster, "ksql.advertised.listener": "http://a"})
    a.log.create_topic("src", 4)
    a.execute(
        "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
    )
    a.execute("CREATE TABLE T AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;")
    b = Engine(tmp_path / "b", properties={**cluster, "ksql.advertised.listener": "http://b"})
    try:
        for i in range(400):
            a.produce("src", f"k{i % 16}".encode(), b'{"V": %d}' % (i % 5), 1000 + i)

        def split():
            owned = [e.cluster.assignments()["CTAS_T_0"]["positions"] for e in (a, b)]
            return all(len(o) == 2 for o in owned) and sum(sum(o.values()) for o in owned) == 400

        step_until([a, b], split)
        status = {m["url"]: m for m in a.cluster.members()}
        assert set(status) == {"http://a", "http://b"} and all(m["alive"] for m in status.values())
        # `a` stops; `b` takes its partitions over once a's heartbeats are old enough.
        a.close()
        for i in range(400, 800):
            b.produce("src", f"k{i % 16}".encode(), b'{"V": %d}' % (i % 5), 1000 + i)
        step_until(
            [b], lambda: sum(b.cluster.assignments()["CTAS_T_0"]["positions"].values()) == 800
        )
        b.run_until_idle()
        want = sorted(
            (f"k{k}", 50, sum(i % 5 for i in range(800) if i % 16 == k)) for k in range(16)
        )
        assert rows(b, "SELECT * FROM T;") == want
    finally:
        b.close()


def test_a_stateless_query_is_split_between_two_engines(props, tmp_path):
    cluster = {**props, "ksql.cluster.enabled": "true"}
    a = Engine(tmp_path / "a", properties={**cluster, "ksql.advertised.listener": "http://a"})
    b = Engine(tmp_path / "b", properties={**cluster, "ksql.advertised.listener": "http://b"})
    try:
        a.log.create_topic("src", 4)
        a.execute(
            "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
        )
        a.execute("CREATE STREAM BIG AS SELECT ID, V FROM S WHERE V >= 2;")
        for i in range(300):
            a.produce("src", f"k{i % 30}".encode(), b'{"V": %d}' % (i % 4), 1000 + i)

        def done():
            owned = [
                e.cluster.assignments().get("CSAS_BIG_0", {}).get("positions", {}) for e in (a, b)
            ]
            return all(len(o) == 2 for o in owned) and sum(sum(o.values()) for o in owned) == 300

        step_until([a, b], done)
        # Each record was written once, by the server owning its partition.
        assert a.read_topic("BIG").num_rows == 150
    finally:
        a.close()
        b.close()


def test_a_restarted_engine_resumes_from_kafka(props, tmp_path):
    cluster = {**props, "ksql.cluster.enabled": "true", "processing.guarantee": "exactly_once_v2"}
    a = Engine(tmp_path / "a", properties=cluster)
    a.log.create_topic("src", 2)
    a.execute(
        "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');"
    )
    a.execute("CREATE TABLE T AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;")
    for i in range(100):
        a.produce("src", f"k{i % 4}".encode(), b'{"V": 1}', 1000 + i)
    step_until([a], lambda: rows(a, "SELECT * FROM T;") == [(f"k{k}", 25) for k in range(4)])
    a.close()
    # Same data directory: same instance; the command topic, offsets and changelog do the rest.
    a = Engine(tmp_path / "a", properties=cluster)
    try:
        for i in range(100):
            a.produce("src", f"k{i % 4}".encode(), b'{"V": 1}', 2000 + i)
        step_until([a], lambda: rows(a, "SELECT * FROM T;") == [(f"k{k}", 50) for k in range(4)])
    finally:
        a.close()
