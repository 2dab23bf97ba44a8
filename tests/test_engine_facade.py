"""The Engine facade: the server and the shell reach the engine only through it; DROP and
/inserts-stream semantics behind it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.errors import KsqlError

ROOT = Path(__file__).resolve().parent.parent
# Engine internals an adapter must not touch (`ksql.catalog`, the module, is fine to import).
_INTERNALS = re.compile(r"(?<!ksql)\.(catalog|log|lock|materialized|processing_log)\b")

STREAM = (
    "CREATE STREAM S (K STRING KEY, V INT) "
    "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
)


@pytest.fixture
def engine(tmp_path: Path):
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        yield engine


def test_server_and_shell_use_only_the_facade() -> None:
    found = []
    for folder in ("server", "repl"):
        for path in sorted((ROOT / folder).glob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if _INTERNALS.search(line):
                    found.append(f"{folder}/{path.name}:{number}: {line.strip()}")
    assert found == []


def test_catalog_and_topic_views(engine: Engine) -> None:
    engine.execute("CREATE STREAM A AS SELECT K, V FROM S;")
    [query] = engine.queries()
    assert engine.query(query.query_id) is query
    assert engine.queries(reading="S") == [query] and engine.queries(writing="S") == []
    assert engine.queries(writing="A") == [query]
    assert [s.name for s in engine.sources()] == ["S", "A"]
    assert engine.source("A").topic == "A" and engine.source("a") is None
    assert engine.topic_info("s").partitions == 1 and engine.topic_info("nope") is None
    engine.insert_rows("S", [{"K": "x", "V": 1}])
    assert engine.end_offsets("s") == {0: 1} and engine.end_offsets("nope") == {}


def test_inserted_rowtime_zero_is_kept(engine: Engine) -> None:
    before = int(time.time() * 1000)
    engine.insert_rows("S", [{"K": "a", "V": 1, "ROWTIME": 0}, {"K": "b", "V": 2}])
    engine.insert_rows("S", [{"K": "c", "V": 3, "ROWTIME": None}])
    stamps = engine.read_topic("s").column("timestamp").to_pylist()
    assert stamps[0] == 0
    assert all(stamp >= before for stamp in stamps[1:])


class Recorder:
    """A query's runner, wrapped: records its steps and its close."""

    def __init__(self, runner) -> None:  # type: ignore[no-untyped-def]
        self.runner = runner
        self.events: list[str] = []

    def step(self, max_records: int) -> bool:
        self.events.append("step")
        try:
            return self.runner.step(max_records)
        finally:
            self.events.append("stepped")

    def close(self) -> None:
        self.events.append("close")
        close = getattr(self.runner, "close", None)  # stateless runners hold nothing to close
        if close is not None:
            close()


def test_drop_stops_the_query_that_creates_the_source(engine: Engine) -> None:
    engine.execute("CREATE STREAM A AS SELECT K, V FROM S;")
    [query] = engine.queries()
    recorder = Recorder(query.runner)
    query.runner = recorder
    engine.insert_rows("S", [{"K": "x", "V": 1}])
    engine.run_until_idle()
    engine.execute("DROP STREAM A;")
    assert engine.queries() == [] and engine.source("A") is None
    engine.insert_rows("S", [{"K": "y", "V": 2}])
    engine.run_until_idle()
    assert "step" in recorder.events
    assert recorder.events[recorder.events.index("close") :] == ["close"]  # never stepped again


def test_drop_refuses_a_source_other_queries_use(engine: Engine) -> None:
    engine.execute("CREATE STREAM A AS SELECT K, V FROM S;")
    engine.execute("CREATE STREAM B AS SELECT K, V FROM S;")
    with pytest.raises(KsqlError) as info:
        engine.execute("DROP STREAM S;")
    assert info.value.message == (
        "Cannot drop S.\nThe following streams and/or tables read from this source: [A, B].\n"
        "You need to drop them before dropping S."
    )
    engine.execute(
        "CREATE STREAM T (K STRING KEY, V INT) "
        "WITH (kafka_topic='t', partitions=1, value_format='JSON');"
    )
    [result] = engine.execute("INSERT INTO A SELECT K, V FROM T;")
    with pytest.raises(KsqlError) as info:
        engine.execute("DROP STREAM A;")
    assert info.value.message == (
        "Cannot drop A.\nThe following queries read from this source: [].\n"
        f"The following queries write into this source: [{result.query_id}].\n"
        "You need to terminate them before dropping A."
    )
    engine.execute(f"TERMINATE {result.query_id};")
    engine.execute("DROP STREAM A; DROP STREAM B; DROP STREAM S;")
    assert [s.name for s in engine.sources()] == ["T"]


def test_a_request_override_wins_over_the_server_value_under_the_other_name(tmp_path):
    from ksql.analyzer.properties import offset_reset

    with Engine(tmp_path, properties={"ksql.streams.auto.offset.reset": "earliest"}) as engine:
        assert offset_reset(engine.session()) == "earliest"
        assert offset_reset(engine.session({"auto.offset.reset": "latest"})) == "latest"
        assert offset_reset(engine.session({"ksql.streams.auto.offset.reset": "latest"})) \
            == "latest"
