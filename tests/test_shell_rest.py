"""The shell's REST backend against a tiny fake ksqlDB server speaking the wire format."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from repl.backend import BackendError, Final, Header, Row
from repl.output import Output
from repl.rest import RestBackend, parse_schema
from repl.shell import Shell


class FakeKsql(BaseHTTPRequestHandler):
    """Answers /info, /ksql, /query (v1 JSON, streamed until closed) and /close-query."""

    closed: ClassVar[list[str]] = []
    requests: ClassVar[list[dict]] = []
    stream_rows = 2
    limit_reached = False

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/info":
            self._json(200, {"KsqlServerInfo": {"version": "9.9.9", "serverStatus": "RUNNING"}})
        else:
            self._json(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization")
        FakeKsql.requests.append({"path": self.path, "auth": auth, **body})
        if self.path == "/close-query":
            FakeKsql.closed.append(body["queryId"])
            self._json(200, {})
        elif self.path == "/ksql":
            self._ksql(body)
        elif self.path == "/query":
            self._query(body)

    def _ksql(self, body: dict) -> None:
        sql = body["ksql"]
        if "MISSING" in sql.upper():
            self._json(
                400,
                {
                    "@type": "statement_error",
                    "error_code": 40001,
                    "message": "MISSING does not exist.",
                    "statementText": sql,
                    "entities": [],
                },
            )
            return
        self._json(
            200,
            [
                {
                    "@type": "streams",
                    "statementText": sql,
                    "warnings": [],
                    "streams": [
                        {
                            "type": "STREAM",
                            "name": "S",
                            "topic": "s",
                            "keyFormat": "KAFKA",
                            "valueFormat": "JSON",
                            "isWindowed": False,
                        }
                    ],
                }
            ],
        )

    def _query(self, body: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        chunk(
            '[{"header":{"queryId":"transient_S_1","schema":"`ID` INTEGER, '
            '`M` MAP<STRING, INTEGER>"}},\n'
        )
        for i in range(FakeKsql.stream_rows):
            chunk(json.dumps({"row": {"columns": [i, {"a": i}]}}) + ",\n")
        if FakeKsql.limit_reached:
            chunk('{"finalMessage":"Limit Reached"}]\n')
            self.wfile.write(b"0\r\n\r\n")
            return
        # A push query without LIMIT: keep the stream open until the client goes away.
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                chunk("\n")
                time.sleep(0.05)
        except OSError:
            pass


@pytest.fixture()
def fake_server():
    FakeKsql.closed, FakeKsql.requests = [], []
    FakeKsql.stream_rows, FakeKsql.limit_reached = 2, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKsql)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_schema_strings_split_at_top_level_commas():
    assert parse_schema(
        "`A` STRING, `B` DECIMAL(4, 2) KEY, `C` STRUCT<`X` INT, `Y` MAP<STRING, INT>>"
    ) == (
        ("A", "STRING"),
        ("B", "DECIMAL(4, 2) KEY"),
        ("C", "STRUCT<`X` INT, `Y` MAP<STRING, INT>>"),
    )


def test_statements_go_to_ksql_with_local_properties(fake_server):
    backend = RestBackend(fake_server)
    assert backend.info()["version"] == "9.9.9"
    entities = backend.execute("SHOW STREAMS;", {"auto.offset.reset": "earliest"}, {"v": "1"})
    assert entities[0]["streams"][0]["name"] == "S"
    sent = FakeKsql.requests[-1]
    assert sent["streamsProperties"] == {"auto.offset.reset": "earliest"}
    assert sent["sessionVariables"] == {"v": "1"}


def test_basic_auth_goes_with_every_request(fake_server):
    import base64

    RestBackend(fake_server, auth=("alice", "s3cret")).execute("SHOW STREAMS;", {}, {})
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert FakeKsql.requests[-1]["auth"] == expected


def test_statement_errors_carry_the_server_message(fake_server):
    backend = RestBackend(fake_server)
    with pytest.raises(BackendError) as caught:
        backend.execute("DESCRIBE MISSING;", {}, {})
    assert caught.value.message == "MISSING does not exist."
    assert caught.value.statement_text == "DESCRIBE MISSING;"


def test_query_stream_reads_header_rows_and_final_message(fake_server):
    FakeKsql.limit_reached = True
    stream = RestBackend(fake_server).query("SELECT * FROM S EMIT CHANGES LIMIT 2;", {}, {})
    events = list(stream.events())
    assert events[0] == Header("transient_S_1", (("ID", "INTEGER"), ("M", "MAP<STRING, INTEGER>")))
    assert events[1:] == [Row([0, {"a": 0}]), Row([1, {"a": 1}]), Final("Limit Reached")]


def test_cancel_closes_the_query_on_the_server(fake_server):
    stream = RestBackend(fake_server).query("SELECT * FROM S EMIT CHANGES;", {}, {})
    events = stream.events()
    seen = [next(events), next(events)]
    assert isinstance(seen[1], Row)
    stream.cancel()
    events.close()
    assert FakeKsql.closed == ["transient_S_1"]


def test_shell_prints_streamed_rows_and_server_errors(fake_server):
    FakeKsql.limit_reached = True
    stdout, stderr = io.StringIO(), io.StringIO()
    shell = Shell(RestBackend(fake_server), out=Output(stdout, stderr))
    assert shell.run_text("SELECT * FROM S EMIT CHANGES LIMIT 2;")
    printed = stdout.getvalue().splitlines()
    assert printed[1].startswith("|ID") and "|M" in printed[1]
    assert printed[3].startswith("|0 ") and '{"a": 0}' in printed[3]
    assert printed[-2:] == ["Limit Reached", "Query terminated"]
    assert not shell.run_text("SHOW STREAMS;\nDESCRIBE missing;")
    assert "MISSING does not exist." in stderr.getvalue()
    assert "  DESCRIBE missing;\n           ^" in stderr.getvalue()


def test_completion_names_come_from_the_server(fake_server):
    assert RestBackend(fake_server).names().sources == {"S": "STREAM"}
    assert RestBackend("http://127.0.0.1:9").names().sources == {}  # nobody there: no names
