"""Kafka's file connectors (ksql.connect.file) on real files: tailing a growing file, a last
line waiting for its newline, restarting from a stored offset, truncation, the sink's lines;
and both connectors through the engine's connect runtime with transforms."""

from __future__ import annotations

import json
import time

import pytest

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectError, SinkRecord
from ksql.connect.file import (
    FileStreamSinkConnector,
    FileStreamSinkTask,
    FileStreamSourceConnector,
    FileStreamSourceTask,
)
from ksql.connect.plugins import load_class
from ksql.engine import Engine
from tests.support.waiting import wait_for


class Offsets(api.SourceTaskContext):
    def __init__(self, stored: dict | None = None) -> None:
        self.stored = stored or {}

    def offset(self, source_partition):
        return self.stored.get(source_partition["filename"])


def source(path, stored=None, **config) -> FileStreamSourceTask:
    task = FileStreamSourceTask()
    task.start({"file": str(path), "topic": "lines", **config}, Offsets(stored))
    return task


def texts(records) -> list[str]:
    return [r.value for r in records]


def test_plugins_are_found_by_their_java_names():
    assert load_class("org.apache.kafka.connect.file.FileStreamSourceConnector").kind == "source"
    assert load_class("FileStreamSinkConnector") is FileStreamSinkConnector


def test_source_reads_lines_with_byte_offsets(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("first\nsécond\r\n\nlast\n".encode())
    task = source(path)
    records = task.poll()
    assert texts(records) == ["first", "sécond", "", "last"]
    assert [r.source_offset["position"] for r in records] == [6, 15, 16, 21]
    first = records[0]
    assert (first.topic, first.key, first.value_schema) == ("lines", None, api.Schema(api.STRING))
    assert first.source_partition == {"filename": str(path)}
    assert task.offset_order(first.source_partition, first.source_offset) == (6,)
    assert task.poll() == []
    task.stop()


def test_source_tails_the_file_and_waits_for_a_partial_line(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("a\n")
    task = source(path)
    assert texts(task.poll()) == ["a"]
    with path.open("a") as f:
        f.write("b\nc")  # "c" has no newline yet
    assert texts(task.poll()) == ["b"]
    assert task.poll() == []
    with path.open("a") as f:
        f.write("ontinued\nd\n")
    records = task.poll()
    assert texts(records) == ["continued", "d"]
    assert records[-1].source_offset == {"position": path.stat().st_size}
    task.stop()


def test_source_resumes_from_its_stored_offset(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("one\ntwo\nthree\n")
    first = source(path)
    records = first.poll()
    first.stop()
    stored = {str(path): dict(records[1].source_offset)}  # stopped after "two" was stored
    again = source(path, stored)
    assert texts(again.poll()) == ["three"]
    again.stop()


def test_source_batch_size(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("".join(f"{n}\n" for n in range(5)))
    task = source(path, **{"batch.size": "2"})
    assert [texts(task.poll()) for _ in range(4)] == [["0", "1"], ["2", "3"], ["4"], []]
    task.stop()


def test_source_waits_for_the_file_and_rereads_a_truncated_one(tmp_path):
    path = tmp_path / "later.txt"
    task = source(path)
    assert task.poll() == []
    path.write_text("x\ny\n")
    assert texts(task.poll()) == ["x", "y"]
    path.write_text("z\n")  # truncated and rewritten, as a copytruncate rotation does
    records = task.poll()
    assert texts(records) == ["z"] and records[0].source_offset == {"position": 2}
    task.stop()
    assert task.poll() == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"topic": "t"}, 'Missing required configuration "file"'),
        ({"file": "f"}, 'Missing required configuration "topic"'),
        ({"file": "f", "topic": "a,b"}, "requires definition of a single topic"),
        ({"file": "f", "topic": "t", "batch.size": "0"}, "Value must be at least 1"),
        ({"file": "f", "topic": "t", "batch.size": "many"}, "Not a number of type INT"),
    ],
)
def test_source_configuration_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        FileStreamSourceConnector().validate(config)


def test_sink_appends_one_line_per_record_and_flushes(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("existing\n")
    task = FileStreamSinkTask()
    task.start({"file": str(path), "topics": "t"}, api.SinkTaskContext())
    values = ["text", {"id": 1, "tags": ["a"]}, None, b"bytes", 42, True]
    task.put([SinkRecord("t", None, v, offset=i) for i, v in enumerate(values)])
    task.flush({("t", 0): 6})
    assert path.read_text().splitlines() == [
        "existing", "text", '{"id":1,"tags":["a"]}', "null", "bytes", "42", "true",
    ]  # fmt: skip
    task.stop()


def test_sink_errors(tmp_path):
    with pytest.raises(ConfigError, match='Missing required configuration "file"'):
        FileStreamSinkConnector().validate({"topics": "t"})
    with pytest.raises(ConnectError, match="Couldn't find or create file"):
        FileStreamSinkTask().start(
            {"file": str(tmp_path / "no" / "dir.txt")}, api.SinkTaskContext()
        )


# ----------------------------------------------------------------------------- in the runtime



def topic_values(engine, topic) -> list:
    if not engine.topic_info(topic):
        return []
    return [json.loads(v) for v in engine.read_topic(topic).column("value").to_pylist()]


def test_file_to_topic_to_file_through_the_runtime(tmp_path):
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    source_file.write_text("alpha\nbeta\n")
    data = tmp_path / "data"
    create_source = (
        "CREATE SOURCE CONNECTOR lines_in WITH ("
        "'connector.class'='FileStreamSourceConnector', "
        f"'file'='{source_file}', 'topic'='lines', "
        "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
        "'value.converter.schemas.enable'='false', "
        "'transforms'='wrap,stamp', "
        "'transforms.wrap.type'='org.apache.kafka.connect.transforms.HoistField$Value', "
        "'transforms.wrap.field'='line', "
        "'transforms.stamp.type'='org.apache.kafka.connect.transforms.InsertField$Value', "
        "'transforms.stamp.static.field'='source', 'transforms.stamp.static.value'='file');"
    )
    with Engine(data) as engine:
        engine.execute(create_source)
        engine.execute(
            "CREATE SINK CONNECTOR lines_out WITH ("
            "'connector.class'='org.apache.kafka.connect.file.FileStreamSinkConnector', "
            f"'file'='{sink_file}', 'topics'='lines', "
            "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
            "'value.converter.schemas.enable'='false');"
        )
        wait_for(lambda: len(topic_values(engine, "lines")) == 2, what="2 records")
        with source_file.open("a") as f:
            f.write("gamma\n")
        wait_for(lambda: len(topic_values(engine, "lines")) == 3, what="the appended line")
        assert topic_values(engine, "lines") == [
            {"line": "alpha", "source": "file"}, {"line": "beta", "source": "file"},
            {"line": "gamma", "source": "file"},
        ]  # fmt: skip
        wait_for(lambda: sink_file.exists() and len(sink_file.read_text().splitlines()) == 3)
    with source_file.open("a") as f:
        f.write("delta\n")
    # After a restart the source goes on after "gamma": nothing is read twice.
    with Engine(data) as engine:
        wait_for(lambda: len(topic_values(engine, "lines")) == 4, what="the line after restart")
        time.sleep(0.3)
        assert [v["line"] for v in topic_values(engine, "lines")] == [
            "alpha", "beta", "gamma", "delta",
        ]  # fmt: skip
        wait_for(lambda: len(sink_file.read_text().splitlines()) == 4)
        assert json.loads(sink_file.read_text().splitlines()[-1]) == {
            "line": "delta",
            "source": "file",
        }
