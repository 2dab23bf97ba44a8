"""The HTTP sink (ksql.connect.http) against a real HTTP server on loopback: bodies and
batching, headers and basic auth, URL templates, retries with exponential backoff, error
behaviours, timeouts, and the sink through the engine's connect runtime."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectError, RetriableError, SinkRecord
from ksql.connect.http import HttpSinkConnector, HttpSinkTask
from ksql.connect.plugins import load_class
from ksql.engine import Engine


class Server:
    """A loopback HTTP server recording requests; answers with the statuses in `script`
    (then 200), after `delay_s`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[int] = []
        self.delay_s = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append({
                    "method": self.command, "path": self.path, "body": body,
                    "headers": dict(self.headers), "at": time.monotonic(),
                })  # fmt: skip
                time.sleep(server.delay_s)
                status = server.script.pop(0) if server.script else 200
                reply = b"ok" if status < 400 else f"error {status}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_PUT = _answer  # http.server's method names

            def log_message(self, *args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[str]:
        return [r["body"].decode() for r in self.requests]

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():
    found = Server()
    yield found
    found.close()


def task(url: str, **config: str) -> HttpSinkTask:
    sink = HttpSinkTask()
    props = {
        "http.api.url": url,
        "retry.backoff.ms": "10",
        **{k.replace("_", "."): v for k, v in config.items()},
    }
    sink.start(props, api.SinkTaskContext())
    return sink


def records(*values, topic="events", keys=None) -> list[SinkRecord]:
    keys = keys or [None] * len(values)
    return [
        SinkRecord(topic, k, v, offset=i) for i, (k, v) in enumerate(zip(keys, values, strict=True))
    ]


def test_the_plugin_is_found_by_confluents_name():
    assert load_class("io.confluent.connect.http.HttpSinkConnector") is HttpSinkConnector


def test_one_request_per_record_by_default(server):
    sink = task(server.url + "/in", headers="X-Source:ksql|Authorization-Hint: none")
    sink.put(records("a", {"id": 1}, None))  # the tombstone is skipped
    sink.flush({})
    assert server.bodies() == ["a", '{"id":1}']
    first = server.requests[0]
    assert (first["method"], first["path"]) == ("POST", "/in")
    assert first["headers"]["Content-Type"] == "text/plain"
    assert first["headers"]["X-Source"] == "ksql"
    assert first["headers"]["Authorization-Hint"] == "none"
    sink.stop()


def test_batches_as_json_arrays_and_joined_text(server):
    sink = task(
        server.url, batch_max_size="3", request_body_format="json", batch_json_as_array="true"
    )
    sink.put(records(*[{"n": n} for n in range(7)]))
    assert server.bodies() == [
        '[{"n":0},{"n":1},{"n":2}]', '[{"n":3},{"n":4},{"n":5}]', '[{"n":6}]',
    ]  # fmt: skip
    assert server.requests[0]["headers"]["Content-Type"] == "application/json"
    sink.stop()
    server.requests.clear()
    joined = task(server.url, batch_max_size="2", batch_prefix="<", batch_suffix=">",
                  batch_separator="|", request_method="PUT")  # fmt: skip
    joined.put(records("a", "b", "c"))
    assert server.bodies() == ["<a|b>", "<c>"]
    assert {r["method"] for r in server.requests} == {"PUT"}
    joined.stop()


def test_json_body_uses_the_record_schema(server):
    schema = api.struct_schema([("at", api.Schema(api.INT64, name=api.TIMESTAMP))])
    sink = task(server.url, request_body_format="json")
    value = {"at": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)}
    sink.put([SinkRecord("t", None, value, value_schema=schema), *records("text")])
    assert server.bodies() == ['{"at":1000}', '"text"']
    sink.stop()


def test_url_templates_group_batches(server):
    sink = task(server.url + "/topics/${topic}/keys/${key}", batch_max_size="10")
    sink.put(records("a", "b", "c", keys=["k 1", "k 1", "k2"]))
    assert [(r["path"], r["body"]) for r in server.requests] == [
        ("/topics/events/keys/k%201", b"a,b"), ("/topics/events/keys/k2", b"c"),
    ]  # fmt: skip
    sink.stop()


def test_basic_auth(server):
    sink = task(server.url, auth_type="basic", connection_user="ada", connection_password="s3cr3t")
    sink.put(records("x"))
    expected = "Basic " + base64.b64encode(b"ada:s3cr3t").decode()
    assert server.requests[0]["headers"]["Authorization"] == expected
    sink.stop()


def test_5xx_is_retried_with_exponential_backoff(server):
    server.script = [503, 503, 500]
    sink = task(server.url, retry_backoff_ms="100", max_retries="5")
    sink.put(records("x"))
    assert server.bodies() == ["x"] * 4
    gaps = [b["at"] - a["at"] for a, b in zip(server.requests, server.requests[1:], strict=False)]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[2] >= 0.39
    sink.stop()


def test_5xx_after_the_retries_fails_the_task_or_is_logged(server, caplog):
    server.script = [503] * 3
    sink = task(server.url, max_retries="2")
    with pytest.raises(ConnectError, match="returned 503: error 503"):
        sink.put(records("x"))
    assert len(server.requests) == 3
    sink.stop()
    server.script = [502] * 2
    logged = task(server.url, max_retries="1", behavior_on_error="log")
    with caplog.at_level(logging.WARNING, logger="ksql.connect.http"):
        logged.put(records("lost", "kept"))
    assert server.bodies()[-1] == "kept"
    assert "dropping a batch of records" in caplog.text and "returned 502" in caplog.text
    logged.stop()


def test_4xx_is_not_retried_and_follows_behavior_on_error(server):
    server.script = [400]
    sink = task(server.url)
    with pytest.raises(ConnectError, match="returned 400"):
        sink.put(records("bad"))
    assert len(server.requests) == 1
    sink.stop()
    server.script = [404]
    ignoring = task(server.url, behavior_on_error="ignore")
    ignoring.put(records("dropped", "sent"))
    assert server.bodies()[-2:] == ["dropped", "sent"]
    ignoring.stop()
    server.script = [429, 200]  # 429 is retried by default
    task(server.url).put(records("again"))
    assert server.bodies()[-2:] == ["again", "again"]


def test_retry_on_status_codes(server):
    server.script = [409, 200]
    sink = task(server.url, retry_on_status_codes="409,500-")
    sink.put(records("x"))
    assert len(server.requests) == 2
    sink.stop()


def test_an_unreachable_server_is_a_retriable_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    sink = task(f"http://127.0.0.1:{port}", max_retries="2")
    started = time.monotonic()
    with pytest.raises(RetriableError, match="ConnectError.*after 3 attempts"):
        sink.put(records("x"))
    assert time.monotonic() - started >= 0.03  # waited 10 ms, then 20 ms
    sink.stop()


def test_a_slow_server_times_out_and_is_retried(server):
    server.delay_s = 0.5
    sink = task(server.url, http_request_timeout_ms="100", max_retries="1")
    with pytest.raises(RetriableError, match="ReadTimeout"):
        sink.put(records("x"))
    assert len(server.requests) == 2
    sink.stop()


def test_stopping_interrupts_the_backoff(server):
    server.script = [503] * 10
    sink = task(server.url, retry_backoff_ms="10000")
    threading.Timer(0.2, sink.stop).start()
    started = time.monotonic()
    with pytest.raises(RetriableError, match="stopping"):
        sink.put(records("x"))
    assert time.monotonic() - started < 5


def test_null_values_can_fail_the_task(server):
    sink = task(server.url, behavior_on_null_values="fail")
    with pytest.raises(ConnectError, match="Null valued record"):
        sink.put(records(None))
    sink.stop()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, 'Missing required configuration "http.api.url"'),
        ({"http.api.url": "ftp://host/x"}, "Must be an http:// or https:// URL"),
        ({"http.api.url": "http://h", "request.method": "GET"}, "String must be one of"),
        ({"http.api.url": "http://h", "auth.type": "basic", "connection.user": "u"},
         "connection.password are required"),
        ({"http.api.url": "http://h", "headers": "NoColon"}, "expected Name:Value"),
        ({"http.api.url": "http://h", "retry.on.status.codes": "5xx"}, "Invalid status code"),
        ({"http.api.url": "http://h", "batch.max.size": "0"}, "Value must be at least 1"),
        ({"http.api.url": "http://h", "behavior.on.error": "retry"}, "String must be one of"),
    ],
)  # fmt: skip
def test_configuration_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        HttpSinkConnector().validate(config)


def test_through_the_runtime(tmp_path, server):
    with Engine(tmp_path) as engine:
        engine.create_topic("clicks")
        for n in range(5):
            engine.produce("clicks", None, json.dumps({"n": n}).encode())
        engine.execute(
            "CREATE SINK CONNECTOR hooks WITH ("
            "'connector.class'='io.confluent.connect.http.HttpSinkConnector', "
            f"'topics'='clicks', 'http.api.url'='{server.url}/hook', "
            "'request.body.format'='json', 'batch.max.size'='10', "
            "'batch.json.as.array'='true', 'retry.backoff.ms'='10', "
            "'value.converter'='org.apache.kafka.connect.json.JsonConverter', "
            "'value.converter.schemas.enable'='false');"
        )
        deadline = time.monotonic() + 20
        while sum(len(json.loads(b)) for b in server.bodies()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        received = [item for body in server.bodies() for item in json.loads(body)]
        assert received == [{"n": n} for n in range(5)]
