"""ksql-server as a real process, driven with curl over HTTP/1.1 (and h2c where noted)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from ksql.conformance.rest_server import ServerProcess

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    process.stop()


def curl(
    server: ServerProcess, path: str, body: object | None = None, *args: str
) -> tuple[int, str]:
    """(HTTP status, body) of one curl call; `args` are extra curl flags."""
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args]
    if body is not None:
        command += ["-X", "POST", "--data-binary", "@-"]
    command.append(server.url + path)
    data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    out = subprocess.run(
        command, input=data, capture_output=True, text=True, timeout=60, check=True
    )
    text, _, status = out.stdout.rpartition("\n")
    return int(status), text


def ksql(server: ServerProcess, sql: str, **extra: object) -> tuple[int, object]:
    status, text = curl(server, "/ksql", {"ksql": sql, **extra})
    return status, json.loads(text)


def test_ddl_answers_current_status_with_command_ids(server: ServerProcess) -> None:
    status, entities = ksql(
        server,
        "CREATE STREAM pageviews (user_id STRING KEY, page STRING, ms INT) "
        "WITH (kafka_topic='pageviews', partitions=1, value_format='JSON');",
    )
    assert status == 200
    (entity,) = entities
    assert entity["@type"] == "currentStatus"
    assert entity["commandId"] == "stream/`PAGEVIEWS`/create"
    assert entity["commandStatus"] == {
        "status": "SUCCESS",
        "message": "Stream created",
        "queryId": None,
    }
    assert entity["commandSequenceNumber"] >= 1
    assert entity["warnings"] == []

    status, entities = ksql(server, "SHOW STREAMS; DESCRIBE pageviews;")
    assert status == 200
    streams, description = entities
    assert streams["@type"] == "streams"
    assert {
        "type": "STREAM",
        "name": "PAGEVIEWS",
        "topic": "pageviews",
        "keyFormat": "KAFKA",
        "valueFormat": "JSON",
        "isWindowed": False,
    } in streams["streams"]
    fields = description["sourceDescription"]["fields"]
    assert fields[0] == {
        "name": "USER_ID",
        "schema": {"type": "STRING", "fields": None, "memberSchema": None},
        "type": "KEY",
    }
    assert "type" not in fields[1]

    status, body = curl(server, "/status/stream/%60PAGEVIEWS%60/create")
    assert status == 200
    assert json.loads(body)["status"] == "SUCCESS"


def test_persistent_query_gets_an_id_and_shows_in_show_queries(server: ServerProcess) -> None:
    ksql(
        server,
        "CREATE STREAM clicks (k STRING KEY, n INT) "
        "WITH (kafka_topic='clicks', partitions=1, value_format='JSON');",
    )
    status, (entity,) = ksql(
        server, "CREATE TABLE click_counts AS SELECT k, COUNT(*) AS c FROM clicks GROUP BY k;"
    )
    assert status == 200
    query_id = entity["commandStatus"]["queryId"]
    assert query_id.startswith("CTAS_CLICK_COUNTS_")
    status, (queries,) = ksql(server, "SHOW QUERIES;")
    assert queries["@type"] == "queries"
    (query,) = [q for q in queries["queries"] if q["id"] == query_id]
    assert query["sinks"] == ["CLICK_COUNTS"]
    assert query["state"] == "RUNNING"
    assert query["queryType"] == "PERSISTENT"


def test_errors_are_statement_errors_without_stack_traces(server: ServerProcess) -> None:
    status, body = ksql(server, "SELEC * FROM nowhere;")
    assert status == 400
    assert body["@type"] == "statement_error"
    assert body["error_code"] == 40001
    assert body["statementText"] == "SELEC * FROM nowhere;"
    assert "Traceback" not in json.dumps(body)

    status, body = ksql(
        server,
        "CREATE STREAM ok1 (a INT) WITH (kafka_topic='ok1', partitions=1, value_format='JSON'); DROP STREAM missing;",
    )
    assert status == 400
    assert [e["commandId"] for e in body["entities"]] == ["stream/`OK1`/create"]

    status, body = ksql(server, "SELECT * FROM pageviews EMIT CHANGES;")
    assert status == 400
    assert body["error_code"] == 40002

    status, text = curl(server, "/ksql", "{not json")
    assert status == 400
    assert json.loads(text)["error_code"] == 40000
    status, text = curl(server, "/ksql", {"sql": "SHOW STREAMS;"})
    assert status == 400
    assert "Missing required creator property 'ksql'" in json.loads(text)["message"]


def test_set_in_a_request_does_not_leak_into_the_next(server: ServerProcess) -> None:
    name = "ksql.output.topic.name.prefix"
    status, entities = ksql(server, f"SET '{name}'='bar_'; SHOW PROPERTIES;")
    assert status == 200
    (properties,) = entities
    assert {"name": name, "value": "bar_"}.items() <= next(
        p for p in properties["properties"] if p["name"] == name
    ).items()
    _, (properties,) = ksql(server, "SHOW PROPERTIES;")
    assert all(p["name"] != name for p in properties["properties"])


def _insert_rows(server: ServerProcess, stream: str, rows: list[str]) -> None:
    sql = " ".join(f"INSERT INTO {stream} VALUES ({r});" for r in rows)
    status, entities = ksql(server, sql)
    assert (status, entities) == (200, [])


def test_query_formats_follow_the_accept_header(server: ServerProcess) -> None:
    ksql(
        server,
        "CREATE STREAM fmt (id INT KEY, name STRING) WITH (kafka_topic='fmt', partitions=1, value_format='JSON');",
    )
    _insert_rows(server, "fmt", ["1, 'a'", "2, 'b'"])
    body = {
        "ksql": "SELECT * FROM fmt EMIT CHANGES LIMIT 2;",
        "streamsProperties": {"auto.offset.reset": "earliest"},
    }

    status, text = curl(server, "/query", body, "-H", "Accept: application/vnd.ksql.v1+json")
    assert status == 200
    assert json.loads(text) == [
        {
            "header": {
                "queryId": json.loads(text)[0]["header"]["queryId"],
                "schema": "`ID` INTEGER, `NAME` STRING",
            }
        },
        {"row": {"columns": [1, "a"]}},
        {"row": {"columns": [2, "b"]}},
        {"finalMessage": "Limit Reached"},
    ]

    status, text = curl(server, "/query", body)  # curl sends Accept: */* -> delimited
    assert status == 200
    header, *rows = [json.loads(line) for line in text.splitlines()]
    assert header["columnNames"] == ["ID", "NAME"]
    assert header["columnTypes"] == ["INTEGER", "STRING"]
    assert rows == [[1, "a"], [2, "b"]]

    stream_body = {"sql": body["ksql"], "properties": body["streamsProperties"]}
    status, text = curl(server, "/query-stream", stream_body, "-H", "Accept: application/json")
    assert status == 200
    parsed = json.loads(text)
    assert parsed[1:] == [[1, "a"], [2, "b"]]

    status, _ = curl(server, "/query", body, "-H", "Accept: text/html")
    assert status == 406


def test_pull_query_marks_key_columns_and_has_no_final_message(server: ServerProcess) -> None:
    ksql(
        server,
        "CREATE TABLE users (id INT PRIMARY KEY, name STRING) "
        "WITH (kafka_topic='users', partitions=1, value_format='JSON');"
        "CREATE TABLE users_view AS SELECT * FROM users;",
        streamsProperties={"auto.offset.reset": "earliest"},
    )
    _insert_rows(server, "users", ["7, 'x'"])
    deadline = time.monotonic() + 20
    while True:
        status, text = curl(
            server,
            "/query",
            {"ksql": "SELECT * FROM users_view WHERE id = 7;"},
            "-H",
            "Accept: application/json",
        )
        elements = json.loads(text)
        if len(elements) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200
    assert elements[0]["header"]["schema"] == "`ID` INTEGER KEY, `NAME` STRING"
    assert elements[1] == {"row": {"columns": [7, "x"]}}


def test_push_query_streams_rows_as_they_arrive_and_close_query_ends_it(
    server: ServerProcess,
) -> None:
    ksql(
        server,
        "CREATE STREAM live (id INT KEY, v STRING) WITH (kafka_topic='live', partitions=1, value_format='JSON');",
    )
    command = [
        "curl",
        "-s",
        "-N",
        "-X",
        "POST",
        server.url + "/query-stream",
        "--data-binary",
        json.dumps({"sql": "SELECT * FROM live EMIT CHANGES;"}),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        header = json.loads(proc.stdout.readline())
        query_id = header["queryId"]
        _insert_rows(server, "live", ["1, 'first'"])
        assert json.loads(proc.stdout.readline()) == [1, "first"]
        _insert_rows(server, "live", ["2, 'second'"])
        assert json.loads(proc.stdout.readline()) == [2, "second"]
        status, _ = curl(server, "/close-query", {"queryId": query_id})
        assert status == 200
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    status, text = curl(server, "/close-query", {"queryId": query_id})
    assert status == 400
    assert json.loads(text)["message"] == f"No query with id {query_id}"


def test_inserts_stream_over_h2c_and_http1(server: ServerProcess) -> None:
    ksql(
        server,
        "CREATE STREAM ins (id INT KEY, v STRING) WITH (kafka_topic='ins', partitions=1, value_format='JSON');",
    )
    body = '{"target":"ins"}\n{"ID":1,"V":"a"}\n{"id":2,"v":"b"}\n'
    for flag in ("--http2-prior-knowledge", "--http1.1"):
        status, text = curl(server, "/inserts-stream", body, flag)
        assert status == 200
        assert [json.loads(line) for line in text.splitlines()] == [
            {"status": "ok", "seq": 0},
            {"status": "ok", "seq": 1},
        ]
    status, text = curl(server, "/inserts-stream", '{"target":"ins"}\n{"id":"not a number"}\n')
    (ack,) = [json.loads(line) for line in text.splitlines()]
    assert ack["status"] == "error" and ack["seq"] == 0 and ack["error_code"] == 40000
    status, text = curl(
        server,
        "/query",
        {
            "ksql": "SELECT * FROM ins EMIT CHANGES LIMIT 4;",
            "streamsProperties": {"auto.offset.reset": "earliest"},
        },
    )
    assert [json.loads(line) for line in text.splitlines()][1:] == [
        [1, "a"],
        [2, "b"],
        [1, "a"],
        [2, "b"],
    ]


def test_h2c_prior_knowledge_serves_every_route(server: ServerProcess) -> None:
    out = subprocess.run(
        [
            "curl",
            "-s",
            "--http2-prior-knowledge",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}",
            server.url + "/info",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert out.stdout == "2"


def test_info_health_and_cluster_routes(server: ServerProcess) -> None:
    status, text = curl(server, "/info")
    info = json.loads(text)["KsqlServerInfo"]
    assert (
        status == 200 and info["serverStatus"] == "RUNNING" and info["ksqlServiceId"] == "default_"
    )
    status, text = curl(server, "/healthcheck")
    assert json.loads(text)["isHealthy"] is True and json.loads(text)["serverState"] == "READY"
    status, text = curl(server, "/clusterStatus")
    (host,) = json.loads(text)["clusterStatus"].values()
    assert host["hostAlive"] is True and "stateStoreLags" in host["hostStoreLags"]
    status, text = curl(server, "/status")
    assert "commandStatuses" in json.loads(text)
    assert curl(server, "/is_valid_property/ksql.streams.auto.offset.reset") == (200, "true")
    status, text = curl(server, "/is_valid_property/ksql.service.id")
    assert status == 400 and "prohibited" in json.loads(text)["message"]
    assert curl(server, "/no/such/path") == (404, "Not Found")
    status, _ = curl(server, "/")
    assert status == 307


def test_basic_auth_and_request_size_limit(tmp_path) -> None:
    users = tmp_path / "users.properties"
    users.write_text("fred: letmein,admin\n")
    properties = "ksql.server.request.max.bytes=2000\n"
    process = ServerProcess(properties=properties, extra_args=("--users-file", str(users)))
    try:
        status, text = curl(process, "/info")
        assert status == 401 and json.loads(text)["error_code"] == 40100
        status, text = curl(process, "/info", None, "-u", "fred:wrong")
        assert status == 401
        status, text = curl(process, "/info", None, "-u", "fred:letmein")
        assert status == 200
        big = {"ksql": "SHOW STREAMS; " * 500}
        status, text = curl(process, "/ksql", big, "-u", "fred:letmein")
        assert status == 413
    finally:
        process.stop()


def test_print_topic_streams_text_lines(server: ServerProcess) -> None:
    ksql(
        server,
        "CREATE STREAM printed (k STRING KEY, v INT) "
        "WITH (kafka_topic='printed', partitions=1, value_format='JSON');",
    )
    _insert_rows(server, "printed", ["'a', 1", "'b', 2"])
    status, text = curl(server, "/query", {"ksql": "PRINT 'printed' FROM BEGINNING LIMIT 2;"})
    assert status == 200
    lines = text.splitlines()
    assert lines[0].startswith("Key format: ")
    assert lines[1].startswith("Value format: ")
    assert lines[2].startswith("rowtime: ")
    assert lines[2].endswith(', key: a, value: {"V":1}, partition: 0')
    assert lines[3].endswith(', key: b, value: {"V":2}, partition: 0')


def test_command_sequence_number_in_the_future_times_out(server: ServerProcess) -> None:
    status, _ = ksql(server, "SHOW STREAMS;", commandSequenceNumber=0)
    assert status == 200
    status, body = ksql(server, "SHOW STREAMS;", commandSequenceNumber=10**9)
    assert status == 503
    assert body["error_code"] == 50301


def test_identical_push_queries_share_one_run_and_close_independently(
    server: ServerProcess,
) -> None:
    ksql(
        server,
        "CREATE STREAM fan (id INT KEY, v STRING) WITH (kafka_topic='fan', partitions=1, value_format='JSON');",
    )
    body = json.dumps({"sql": "SELECT * FROM fan EMIT CHANGES;"})
    command = [
        "curl",
        "-s",
        "-N",
        "-X",
        "POST",
        server.url + "/query-stream",
        "--data-binary",
        body,
    ]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        ids = [json.loads(p.stdout.readline())["queryId"] for p in (first, second)]
        assert ids[0] != ids[1]
        _insert_rows(server, "fan", ["1, 'a'"])
        assert [json.loads(p.stdout.readline()) for p in (first, second)] == [[1, "a"], [1, "a"]]
        assert curl(server, "/close-query", {"queryId": ids[0]})[0] == 200
        assert first.wait(timeout=20) == 0
        _insert_rows(server, "fan", ["2, 'b'"])
        assert json.loads(second.stdout.readline()) == [2, "b"]
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.kill()
