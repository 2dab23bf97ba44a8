"""A local Kafka-protocol broker (noida-db from PyPI) for tests and `--backend kafka` runs."""

from __future__ import annotations

import importlib.resources
import logging
import os
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

_client_log = logging.getLogger("ksql.kafka.client")

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 7.0


class BrokerUnavailable(RuntimeError):
    """The broker binary is missing or did not open its port."""


def noida_binary() -> Path:
    """The binary inside the noida_db package (not the console-script wrapper)."""
    try:
        path = Path(str(importlib.resources.files("noida_db") / "noida-db"))
    except ModuleNotFoundError:
        raise BrokerUnavailable("noida-db is not installed (pip install noida-db==0.2.3)") from None
    if not path.is_file():
        raise BrokerUnavailable(f"noida-db binary not found at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NoidaBroker:
    """Starts noida-db on a free loopback port with its own data directory; stop() ends it."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="noida-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / "broker.log"

    def start(self) -> Self:
        binary = noida_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [str(binary), "start", "--data-dir", str(self.data_dir / "data"),
               "--host", "127.0.0.1", "--only", "kafka", "--kafka-port", str(self.port)]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log_path.read_text(errors="replace")[-500:]
                self.process = None
                raise BrokerUnavailable(f"noida-db exited at start: {output}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(f"noida-db did not open port {self.port} in {START_TIMEOUT_S}s")

    def stop(self) -> None:
        """SIGTERM (the broker flushes its snapshot), then SIGKILL after a grace period."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class KafkaTestCluster:
    """One broker for many engines, each isolated under its own topic prefix (conformance)."""

    def __init__(self, bootstrap: str | None = None) -> None:
        self.broker = None if bootstrap else NoidaBroker().start()
        self.bootstrap = bootstrap or self.broker.bootstrap
        self.run_id = os.urandom(3).hex()
        self.count = 0

    def case_properties(self) -> dict[str, str]:
        """Engine properties for one isolated case: fresh topic prefix, no time retention."""
        self.count += 1
        return {
            "bootstrap.servers": self.bootstrap,
            "ksql.kafka.topic.prefix": f"qtt{self.run_id}-{self.count}-",
            "ksql.kafka.topic.config.retention.ms": "-1",
        }

    def cleanup(self, properties: dict[str, str]) -> None:
        """Delete the topics of a finished case, so metadata stays small over a long run."""
        from confluent_kafka.admin import AdminClient

        prefix = properties["ksql.kafka.topic.prefix"]
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "logger": _client_log})
        names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
        if names:
            for future in admin.delete_topics(names, request_timeout=10).values():
                try:
                    future.result()
                except Exception:  # noqa: BLE001, S110 - leftovers do not affect other cases
                    pass

    def close(self) -> None:
        if self.broker is not None:
            self.broker.stop()
