"""One statement pipeline: a request is split and each statement parsed once (engine, server,
shell), variables are substituted; commands replay with the properties they ran under; closing
a runner never overlaps its steps."""

from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from pathlib import Path

import pytest

import ksql.parser
from ksql.engine import Engine
from ksql.errors import ParseError
from repl.embedded import EmbeddedBackend
from repl.output import Output
from repl.shell import Shell
from server.state import ServerConfig, ServerState
from server.statements import run_statements

STREAM = (
    "CREATE STREAM S (K STRING KEY, V INT) "
    "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
)


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The statement texts the parser is asked to parse, as it is asked."""
    seen: list[str] = []
    run = ksql.parser._run

    def counting(start: str, text: str):  # type: ignore[no-untyped-def]
        if start == "start":
            seen.append(text.strip())
        return run(start, text)

    monkeypatch.setattr(ksql.parser, "_run", counting)
    return seen


@pytest.fixture
def engine(tmp_path: Path):
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        yield engine


def test_a_request_parses_each_statement_once(engine: Engine, parses: list[str]) -> None:
    engine.execute("SHOW STREAMS; INSERT INTO S VALUES ('a', 1);\nDESCRIBE S;")
    assert parses == ["SHOW STREAMS;", "INSERT INTO S VALUES ('a', 1);", "DESCRIBE S;"]


def test_prepared_statements_execute_without_parsing(engine: Engine, parses: list[str]) -> None:
    prepared = engine.prepare("SHOW STREAMS;\n\nDESCRIBE S;")
    assert [(p.index, p.source.line_offset, p.text) for p in prepared] == [
        (0, 0, "SHOW STREAMS;"),
        (1, 2, "DESCRIBE S;"),
    ]
    del parses[:]
    session = engine.session()
    results = [engine.execute_prepared(p, session) for p in prepared]
    assert parses == []
    assert results[1].source.name == "S"


def test_variables_are_substituted_before_parsing(engine: Engine, parses: list[str]) -> None:
    prepared = engine.prepare(
        "DEFINE n = 'S'; DESCRIBE ${n}; UNDEFINE n; SELECT * FROM ${other} WHERE K = '${n}';",
        {"other": "S"},
    )
    assert [p.text for p in prepared][1:] == [
        "DESCRIBE S;",
        "UNDEFINE n;",
        "SELECT * FROM S WHERE K = '${n}';",
    ]
    [described] = engine.execute("DESCRIBE ${x};", variables={"x": "s"})
    assert described.source.name == "S"


def test_a_syntax_error_runs_nothing_and_counts_lines_of_the_request(engine: Engine) -> None:
    with pytest.raises(ParseError) as info:
        engine.execute("INSERT INTO S VALUES ('a', 1);\nSELEC * FROM S;")
    assert info.value.message.startswith("line 2:1: Syntax Error")
    assert info.value.message.endswith("\nStatement: SELEC * FROM S;")
    assert info.value.line == 2
    assert engine.read_topic("s").num_rows == 0


def test_the_server_parses_each_statement_once(engine: Engine, parses: list[str]) -> None:
    state = ServerState(engine, ServerConfig())
    name = "ksql.output.topic.name.prefix"
    entities = run_statements(
        state, f"SET '{name}'='bar_'; DEFINE t = 'S'; SHOW PROPERTIES; DESCRIBE ${{t}};", {}, {}
    )
    assert len(parses) == 4
    assert [e["@type"] for e in entities] == ["properties", "sourceDescription"]
    assert {"name": name, "value": "bar_"}.items() <= next(
        p for p in entities[0]["properties"] if p["name"] == name
    ).items()
    assert name not in engine.properties and engine.variables == {}  # request scope


def test_the_embedded_shell_parses_each_statement_once(tmp_path: Path, parses: list[str]) -> None:
    backend = EmbeddedBackend(tmp_path / "data")
    try:
        out = io.StringIO()
        shell = Shell(backend, out=Output(out, io.StringIO()))
        assert shell.run_text(STREAM + "\nDESCRIBE S;\n")
        assert parses == [STREAM, "DESCRIBE S;"]
    finally:
        backend.close()


def test_a_set_before_create_as_select_is_replayed(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(STREAM)
        engine.execute("SET 'ksql.output.topic.name.prefix'='out_';")
        engine.execute("CREATE STREAM A AS SELECT K, V FROM S;")
    with Engine(tmp_path) as replayed:
        assert replayed.source("A").topic == "out_A"


def test_a_set_before_create_as_select_is_replayed_on_kafka(broker, tmp_path: Path) -> None:
    properties = {
        "bootstrap.servers": broker.bootstrap,
        "ksql.kafka.topic.prefix": f"t{uuid.uuid4().hex[:8]}-",
        "ksql.kafka.topic.config.retention.ms": "-1",
    }  # auto.offset.reset is `latest`: only the SET makes the query read what came before
    with Engine(tmp_path / "a", properties=properties) as engine:
        engine.execute(STREAM)
        engine.insert_rows("S", [{"K": "a", "V": 1}, {"K": "b", "V": 2}])
        engine.execute(
            "SET 'auto.offset.reset'='earliest';"
            "SET 'ksql.output.topic.name.prefix'='out_';"
            "CREATE STREAM A AS SELECT K, V * 10 AS V10 FROM S;"
        )
        engine.run_until_idle()
        assert engine.read_topic("out_A").num_rows == 2
    # Another server of the same service id (or this one restarted) replays the command topic.
    with Engine(tmp_path / "b", properties=properties) as replayed:
        assert replayed.source("A").topic == "out_A"
        [query] = replayed.queries()
        entry = _last_command(replayed)
        assert entry["properties"] == {
            "auto.offset.reset": "earliest",
            "ksql.output.topic.name.prefix": "out_",
        }
        replayed.insert_rows("S", [{"K": "c", "V": 3}])
        replayed.run_until_idle()
        assert replayed.read_topic("out_A").num_rows == 3
        assert query.state == "RUNNING"


def _last_command(engine: Engine) -> dict:
    from ksql.cluster.commands import CommandTopic

    return list(CommandTopic(engine.log, engine.properties["ksql.service.id"]).pending())[-1]


class SlowRunner:
    """A query's runner, wrapped: each step takes a while; records steps and the close."""

    def __init__(self, runner) -> None:  # type: ignore[no-untyped-def]
        self.runner = runner
        self.events: list[str] = []
        self.busy = threading.Event()

    def step(self, max_records: int) -> bool:
        self.events.append("step")
        self.busy.set()
        try:
            time.sleep(0.05)
            return self.runner.step(max_records)
        finally:
            self.events.append("stepped")

    def close(self) -> None:
        self.events.append("close")
        self.runner.close()


def test_terminate_waits_for_a_step_in_progress(tmp_path: Path, caplog) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.insert_rows("S", [{"K": f"k{i % 50}", "V": i} for i in range(20_000)])
        engine.execute("CREATE TABLE T AS SELECT K, SUM(V) AS TOTAL FROM S GROUP BY K;")
        [query] = engine.queries()
        runner = SlowRunner(query.runner)
        query.runner = runner
        with caplog.at_level(logging.WARNING):
            engine.start()
            assert runner.busy.wait(10)
            engine.execute(f"TERMINATE {query.query_id};")
            time.sleep(0.3)  # the thread's next rounds
        assert runner.events[-3:] == ["step", "stepped", "close"]
        assert query.state == "RUNNING" and query.error is None
        assert engine.queries() == []
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
