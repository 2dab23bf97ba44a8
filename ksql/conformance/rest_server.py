"""A real `ksql-server` subprocess for the REST conformance runner, and a small HTTP client."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The server defaults ksqlDB's REST harness (RestQueryTranslationTest) runs with.
SERVER_PROPERTIES = """\
ksql.streams.auto.offset.reset=earliest
ksql.streams.cache.max.bytes.buffering=0
ksql.query.pull.table.scan.enabled=true
ksql.query.pull.limit.clause.enabled=true
ksql.query.push.v2.enabled=true
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HttpResult:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body)


class ServerProcess:
    """`python -m server.main` on a free loopback port over a temporary data directory."""

    def __init__(
        self,
        startup_timeout_s: float = 60.0,
        *,
        data_dir: str | Path | None = None,
        properties: str = SERVER_PROPERTIES,
        extra_args: tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ksql-rqtt-")
        self.data_dir = Path(data_dir) if data_dir is not None else Path(self._tmp.name) / "data"
        config = Path(self._tmp.name) / "server.properties"
        config.write_text(properties)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(self._tmp.name) / "server.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.main",
                "--config",
                str(config),
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                "--log-level",
                "WARNING",
                *extra_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + startup_timeout_s
        while True:
            try:
                if self.get("/info").status in (200, 401):
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.log_text()[-2000:]  # stop() removes the log
                self.stop()
                raise RuntimeError(f"ksql-server did not start: {log}")
            time.sleep(0.1)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self._tmp.cleanup()

    # ------------------------------------------------------------------ HTTP

    def _connection(self, timeout_s: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout_s: float = 60.0,
    ) -> HttpResult:
        conn = self._connection(timeout_s)
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, path, body=data, headers=headers or {})
            response = conn.getresponse()
            return HttpResult(
                response.status, response.read(), response.getheader("content-type", "")
            )
        finally:
            conn.close()

    def get(self, path: str) -> HttpResult:
        return self.request("GET", path, timeout_s=5.0)

    def post(self, path: str, body: Any, **kwargs: Any) -> HttpResult:
        return self.request("POST", path, body, **kwargs)

    def stream_query(
        self,
        sql: str,
        properties: dict[str, Any],
        on_header: Any = None,
        max_elements: int | None = None,
        timeout_s: float = 20.0,
    ) -> HttpResult:
        """POST /query asking for v1 JSON; reads lines until the response ends, `max_elements`
        elements arrived, or the time is up (then the connection is closed)."""
        conn = self._connection(timeout_s)
        try:
            body = json.dumps({"ksql": sql, "streamsProperties": properties}).encode()
            headers = {"Accept": "application/vnd.ksql.v1+json", "Content-Type": "application/json"}
            conn.request("POST", "/query", body=body, headers=headers)
            response = conn.getresponse()
            content_type = response.getheader("content-type", "")
            if response.status != 200:
                return HttpResult(response.status, response.read(), content_type)
            lines: list[bytes] = []
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                try:
                    line = response.readline()
                except (TimeoutError, OSError):
                    break
                if not line:
                    break
                if not line.strip():
                    continue
                lines.append(line)
                if len(lines) == 1 and on_header is not None:
                    on_header()
                if max_elements is not None and len(lines) >= max_elements:
                    break
            return HttpResult(200, b"".join(lines), content_type)
        finally:
            conn.close()

    # ------------------------------------------------------------------ embedded-log extension

    def create_topic(self, name: str, partitions: int) -> None:
        body = {"topic_name": name, "partitions_count": partitions, "replication_factor": 1}
        self.post("/v3/clusters/embedded/topics", body)

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp_ms: int,
        partition: int,
        headers: list[tuple[str, bytes | None]],
    ) -> None:
        def b64(data: bytes | None) -> str | None:
            return None if data is None else base64.b64encode(data).decode()

        record = {
            "key": b64(key),
            "value": b64(value),
            "timestamp": timestamp_ms,
            "partition": partition,
            "headers": [{"key": k, "value": b64(v)} for k, v in headers],
        }
        result = self.post(f"/topics/{topic}", {"records": [record]})
        if result.status != 200:
            raise RuntimeError(f"produce to {topic} failed: {result.body[:300]!r}")

    def records(self, topic: str) -> list[dict[str, Any]] | None:
        result = self.get(f"/topics/{topic}/records")
        if result.status == 404:
            return None
        return result.json()

    def wait_until_caught_up(self, timeout_s: float = 30.0, settle_s: float = 0.3) -> bool:
        """Poll /clusterStatus until every query's lag has stayed 0 for `settle_s`.

        Lag counts records a query has read; the batch it read last may still be in flight,
        so zero lag must hold for a while (longer than a micro-batch takes) to mean done."""
        deadline = time.monotonic() + timeout_s
        zero_since: float | None = None
        while time.monotonic() < deadline:
            status = self.get("/clusterStatus").json()["clusterStatus"]
            lag = 0
            for host in status.values():
                for store in host["hostStoreLags"]["stateStoreLags"].values():
                    lag += sum(p["offsetLag"] for p in store["lagByPartition"].values())
            now = time.monotonic()
            zero_since = (zero_since or now) if lag == 0 else None
            if zero_since is not None and now - zero_since >= settle_s:
                return True
            time.sleep(0.05)
        return False

    def reset(self) -> bool:
        """A clean slate between cases: terminate the cluster and delete every topic."""
        result = self.post("/ksql/terminate", {"deleteTopicList": [".*"]})
        return result.status == 200
