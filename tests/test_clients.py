"""Real ksqlDB Python clients from PyPI against a real ksql-server process.

Each client runs in its own virtualenv (ksql-python-ng installs a top-level `ksql` package, the
same name as this project), created once under $KSQL_CLIENT_VENV_DIR (default
~/.cache/ksql-client-venvs) and reused. Without network access to PyPI the tests are skipped.

Known client bugs, which fail against ksqlDB itself too and so are not exercised here:
- ksqldb-client: `query_stream()` calls `.json()` on a multi-line delimited body; `status()`
  requires `queryId` to be a string where ksqlDB sends null.
- ksqldb: basic auth builds `bytes(str)` without an encoding.
- jetblack-ksql-dbapi 0.1.0 and 0.2.1 ship without their `_grammars/ksql.lark`, so the DB-API
  `connect()` fails before any request; its `KsqlDbClient` (the HTTP layer under the cursor)
  is exercised instead. It needs Python 3.12+.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ksql.conformance.rest_server import ServerProcess

VENV_ROOT = Path(
    os.environ.get("KSQL_CLIENT_VENV_DIR", Path.home() / ".cache" / "ksql-client-venvs")
)
CLIENTS = {
    # venv name: (pip requirements, a module that proves the install, minimum Python)
    "ksql-python-ng": (["ksql-python-ng==0.29.0.1", "httpx<0.28"], "ksql", (3, 11)),
    "http2-clients": (
        ["ksqldb==1.0.1", "ksqldb-client==0.28.2a2", "httpx<0.28"],
        "ksqldb_client",
        (3, 11),
    ),
    # jetblack-ksql-dbapi uses `type X = ...` statements: Python 3.12 or later.
    "jetblack": (["jetblack-ksql-dbapi==0.1.0", "httpx[http2]"], "jetblack_ksql_dbapi", (3, 12)),
}


def _interpreter(minimum: tuple[int, int]) -> str | None:
    """A Python of at least `minimum` that actually runs (pyenv shims may not)."""
    if sys.version_info[:2] >= minimum:
        return sys.executable
    candidates = [shutil.which(f"python3.{m}") for m in range(minimum[1], 15)]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.*/bin/python"))
    for candidate in candidates:
        if not candidate:
            continue
        probe = [candidate, "-c", f"import sys; assert sys.version_info[:2] >= {minimum}"]
        if subprocess.run(probe, check=False, capture_output=True).returncode == 0:
            return candidate
    return None


def _venv_python(name: str) -> Path:
    requirements, module, minimum = CLIENTS[name]
    venv = VENV_ROOT / name
    python = venv / "bin" / "python"
    probe = [str(python), "-c", f"import {module}"]
    if python.exists() and subprocess.run(probe, check=False, capture_output=True).returncode == 0:
        return python
    base = _interpreter(minimum)
    if base is None:
        pytest.skip(f"{name} needs Python {minimum[0]}.{minimum[1]}+, none found")
    try:
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *requirements],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot install {name} from PyPI: {error}")
    return python


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    process.stop()


def run_client(venv: str, url: str, script: str) -> dict:
    """Run `script` (which prints one JSON object) in the client's venv; returns that object."""
    python = _venv_python(venv)
    out = subprocess.run(
        [str(python), "-c", textwrap.dedent(script), url],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=VENV_ROOT,  # never this repository: its `ksql` package would shadow the client's
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ksql_python_ng(server: ServerProcess) -> None:
    result = run_client(
        "ksql-python-ng",
        server.url,
        """
        import json, sys, threading
        from ksql import KSQLAPI
        client = KSQLAPI(sys.argv[1])
        out = {}
        created = client.ksql(
            "CREATE STREAM ng_s (id INT KEY, v STRING) "
            "WITH (kafka_topic='ng_s', partitions=1, value_format='JSON')")
        out["created"] = created[0]["commandStatus"]["status"]
        out["streams"] = [s["name"] for s in client.ksql("SHOW STREAMS")[0]["streams"]]
        out["inserts"] = client.inserts_stream("ng_s", [{"ID": 1, "V": "a"}, {"ID": 2, "V": "b"}])
        props = {"ksql.streams.auto.offset.reset": "earliest"}
        out["http1"] = list(client.query(
            "SELECT * FROM ng_s EMIT CHANGES LIMIT 2", stream_properties=props, parse=True))
        out["http2"] = list(client.query(
            "SELECT * FROM ng_s EMIT CHANGES LIMIT 2", stream_properties=props,
            use_http2=True, parse=True))
        out["pull"] = list(client.query("SELECT * FROM ng_s", parse=True))
        # A push query without LIMIT, ended with close_query from another thread.
        chunks = client.query("SELECT * FROM ng_s EMIT CHANGES", use_http2=True)
        header = json.loads(next(chunks))
        closer = threading.Timer(0.5, client.close_query, args=(header["queryId"],))
        closer.start()
        out["after_close"] = list(chunks)
        closer.join()
        out["close_unknown"] = client.close_query("no_such_query")
        try:
            client.ksql("DROP STREAM no_such_stream")
        except Exception as error:
            out["error"] = [type(error).__name__, str(error)]
        print(json.dumps(out))
        """,
    )
    assert result["created"] == "SUCCESS"
    assert "NG_S" in result["streams"]
    assert result["inserts"] == [{"status": "ok", "seq": 0}, {"status": "ok", "seq": 1}]
    rows = [{"ID": 1, "V": "a"}, {"ID": 2, "V": "b"}]
    assert result["http1"] == rows
    assert result["http2"] == rows
    assert result["pull"] == rows
    # The server reads from the earliest offset by default here; close_query then ends it.
    assert result["after_close"] == ['[1,"a"]\n', '[2,"b"]\n']
    assert result["close_unknown"] is False
    assert result["error"][0] == "KSQLError"
    assert "does not exist" in result["error"][1]


def test_ksqldb(server: ServerProcess) -> None:
    result = run_client(
        "http2-clients",
        server.url,
        """
        import asyncio, json, sys
        from ksqldb import KSQLdbClient
        client = KSQLdbClient(sys.argv[1])
        out = {}
        out["created"] = client.ksql(
            "CREATE STREAM kdb_s (id INT KEY, v STRING) "
            "WITH (kafka_topic='kdb_s', partitions=1, value_format='JSON');"
        )[0]["commandStatus"]["status"]
        out["properties"] = len(client.get_properties()) > 0
        out["inserts"] = client.api.inserts_stream("KDB_S", [{"ID": 1, "V": "a"}])
        out["pull"] = client.query_sync("SELECT * FROM kdb_s;")

        async def push():
            rows = []
            gen = client.query_async(
                "SELECT * FROM kdb_s EMIT CHANGES;",
                stream_properties={"auto.offset.reset": "earliest"}, timeout=10)
            async for item in gen:
                rows.append(item)
                if isinstance(item, dict):
                    query_id = item["queryId"]
                else:
                    out["closed"] = client.close_query(query_id)
                    break
            return rows

        out["push"] = asyncio.run(push())
        print(json.dumps(out))
        """,
    )
    assert result["created"] == "SUCCESS"
    assert result["properties"] is True
    assert result["inserts"] == [{"status": "ok", "seq": 0}]
    assert result["pull"][0]["columnNames"] == ["ID", "V"]
    assert result["pull"][1:] == [[1, "a"]]
    assert result["push"][1] == [1, "a"]
    assert result["closed"] is True


def test_ksqldb_client(server: ServerProcess) -> None:
    result = run_client(
        "http2-clients",
        server.url,
        """
        import json, sys, warnings
        warnings.simplefilter("ignore")
        from ksqldb_client import KSqlDBClient
        client = KSqlDBClient(sys.argv[1])
        out = {}
        info = client.info()
        out["info"] = info.model_dump(by_alias=True)
        created = client.ksql(
            "CREATE STREAM kc_s (id INT KEY, v STRING) "
            "WITH (kafka_topic='kc_s', partitions=1, value_format='JSON');"
            "INSERT INTO kc_s (id, v) VALUES (1, 'a');"
        )
        out["created"] = created.model_dump(by_alias=True)
        out["streams"] = client.ksql("SHOW STREAMS;").model_dump(by_alias=True)
        rows = client.query(
            "SELECT * FROM kc_s EMIT CHANGES LIMIT 1;",
            stream_properties={"auto.offset.reset": "earliest"})
        out["query"] = rows.model_dump(by_alias=True)
        try:
            client.ksql("DROP STREAM nope;")
        except Exception as error:
            out["error"] = [type(error).__name__, str(error)]
        print(json.dumps(out))
        """,
    )
    assert result["info"]["KsqlServerInfo"]["serverStatus"] == "RUNNING"
    assert [e["commandStatus"]["status"] for e in result["created"]] == ["SUCCESS"]
    (streams,) = result["streams"]
    assert "KC_S" in [s["name"] for s in streams["streams"]]
    assert result["query"][1]["row"]["columns"] == [1, "a"]
    assert result["query"][2]["finalMessage"] == "Limit Reached"
    assert result["error"][0] == "APIError"


def test_jetblack_ksql_dbapi(server: ServerProcess) -> None:
    result = run_client(
        "jetblack",
        server.url,
        """
        import json, sys
        from jetblack_ksql_dbapi._ksql_client import KsqlDbClient
        out = {}
        raw = KsqlDbClient(sys.argv[1])
        out["created"] = raw.ksql(
            "CREATE STREAM jb_s (id INT KEY, v STRING) "
            "WITH (kafka_topic='jb_s', partitions=1, value_format='JSON');")
        out["inserts"] = list(raw.inserts_stream("jb_s", [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]))
        out["query"] = list(raw.query("SELECT * FROM jb_s;"))
        out["query_stream"] = list(raw.query_stream("SELECT * FROM jb_s;"))
        out["status"] = raw.queury_status("stream/`JB_S`/create")
        print(json.dumps(out))
        """,
    )
    assert result["created"][0]["commandStatus"]["status"] == "SUCCESS"
    assert result["inserts"] == [{"status": "ok", "seq": 0}, {"status": "ok", "seq": 1}]
    assert result["query"] == [{"ID": 1, "V": "a"}, {"ID": 2, "V": "b"}]
    assert result["query_stream"] == [{"ID": 1, "V": "a"}, {"ID": 2, "V": "b"}]
    assert result["status"]["status"] == "SUCCESS"
