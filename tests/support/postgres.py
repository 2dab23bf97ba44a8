"""A throwaway PostgreSQL cluster for tests: Debian's `postgresql` binaries, initdb'd as the
`postgres` user into a temporary directory and started on a free loopback port with
`wal_level=logical` (change data capture needs it). Trust authentication, loopback only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    for d in BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresUnavailable(f"{name} not found (apt-get install postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


class PostgresServer:
    """One PostgreSQL server; `url(db)` gives a libpq URL, `create_database` a fresh database."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ksql-pg-"))
        self.port = _free_port()
        self.data = self.dir / "data"
        self.socket_dir = self.dir / "sock"

    def start(self) -> PostgresServer:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        run = lambda args: subprocess.run(  # noqa: E731
            _as_postgres(args), check=True, capture_output=True, text=True, cwd=self.dir
        )
        try:
            run([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} "
                "-c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20 "
                "-c fsync=off -c synchronous_commit=off -c max_connections=200"
            )
            run([pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                 "-w", "start"])  # fmt: skip
        except subprocess.CalledProcessError as error:
            raise PostgresUnavailable(f"{error.cmd[0]} failed: {error.stderr or error.stdout}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", autocommit: bool = True):
        import psycopg

        return psycopg.connect(self.url(database), autocommit=autocommit)

    def create_database(self, prefix: str = "db") -> str:
        """A new empty database; returns its name."""
        name = f"{prefix}_{time.time_ns() % 10**12}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True, cwd=self.dir,
        )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # a throwaway server for trying the examples: Ctrl-C stops it
    server = PostgresServer().start()
    print(f"PostgreSQL (wal_level=logical) at {server.url()}", flush=True)
    try:
        import signal

        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
