"""What cluster mode runs, decided on the logical plan: the refusals users see, and which
aggregations re-key through a repartition topic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.errors import StatementError
from ksql.executor.persistent import analyze
from ksql.parser import parse
from ksql.plan.builder import logical_plan
from ksql.plan.cluster_rules import check_cluster_plan, regroups_across_partitions

DDL = """
CREATE STREAM s (a INT KEY, b STRING KEY, v INT)
  WITH (kafka_topic='s', partitions=1, format='JSON');
CREATE STREAM keyless (v INT, w STRING)
  WITH (kafka_topic='keyless', partitions=1, value_format='JSON');
CREATE TABLE t (id STRING PRIMARY KEY, n INT)
  WITH (kafka_topic='t', partitions=1, value_format='JSON');
"""


@pytest.fixture
def plan_of(tmp_path: Path):
    engine = Engine(tmp_path)
    engine.execute(DDL)

    def plan(select: str):
        (statement,) = parse(select)
        query = statement.statement.query
        analysis = analyze(query, engine.catalog, dict(engine.properties), sink_name="X",
                           sink_kind=None)  # fmt: skip
        return logical_plan(analysis, None)

    yield plan
    engine.close()


@pytest.mark.parametrize(
    ("select", "message"),
    [
        ("SELECT s.a, COUNT(*) FROM s JOIN t ON s.b = t.id GROUP BY s.a EMIT CHANGES;", "Joins"),
        ("SELECT s.b, t.n FROM s JOIN t ON s.b = t.id EMIT CHANGES;", "Joins"),
        ("SELECT n, COUNT(*) FROM t GROUP BY n EMIT CHANGES;", "over a TABLE"),
    ],
)
def test_refused_in_cluster_mode(plan_of, select: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        check_cluster_plan(plan_of(select))


def test_stateless_and_stream_aggregations_run_in_cluster_mode(plan_of) -> None:
    check_cluster_plan(plan_of("SELECT a, b, v FROM s WHERE v > 1 EMIT CHANGES;"))
    check_cluster_plan(plan_of("SELECT v, COUNT(*) FROM s GROUP BY v EMIT CHANGES;"))


@pytest.mark.parametrize(
    ("select", "regroups"),
    [
        ("SELECT a, b, COUNT(*) FROM s GROUP BY a, b EMIT CHANGES;", False),
        ("SELECT b, a, COUNT(*) FROM s GROUP BY b, a EMIT CHANGES;", False),  # same key, reordered
        ("SELECT v, COUNT(*) FROM s GROUP BY v EMIT CHANGES;", True),
        ("SELECT a, COUNT(*) FROM s GROUP BY a EMIT CHANGES;", True),  # part of the key
        ("SELECT v, COUNT(*) FROM keyless GROUP BY v EMIT CHANGES;", True),
        ("SELECT a, b, v FROM s EMIT CHANGES;", False),  # no aggregation
    ],
)
def test_which_aggregations_go_through_a_repartition_topic(plan_of, select, regroups) -> None:
    assert regroups_across_partitions(plan_of(select)) is regroups
