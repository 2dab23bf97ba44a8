"""For the JDBC connector tests: fake runtime contexts to drive tasks directly, the databases
the tests write to (PostgreSQL, SQLite and DuckDB files), and helpers to make records and run
polls."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

import duckdb

from ksql.connect.api import SinkRecord, SinkTaskContext, SourceRecord, SourceTaskContext


class FakeSourceContext(SourceTaskContext):
    """Stored offsets by source partition, as the runtime would keep them."""

    def __init__(self, connector_name: str = "jdbc-source") -> None:
        self.connector_name = connector_name
        self.offsets: dict[str, dict[str, Any]] = {}

    def offset(self, source_partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.offsets.get(json.dumps(dict(source_partition), sort_keys=True))

    def store(self, records: list[SourceRecord]) -> None:
        """Store the offset of each record, as the runtime does once they are written."""
        for record in records:
            key = json.dumps(dict(record.source_partition), sort_keys=True)
            self.offsets[key] = dict(record.source_offset)


class FakeSinkContext(SinkTaskContext):
    """ksql columns by topic, and the records reported as not writable."""

    def __init__(
        self,
        columns: dict[str, list[tuple[str, Any, bool]]] | None = None,
        tolerate: bool = True,
        connector_name: str = "jdbc-sink",
    ) -> None:
        self.connector_name = connector_name
        self.columns = columns or {}
        self.tolerate = tolerate
        self.reported: list[tuple[SinkRecord, BaseException]] = []

    def topic_columns(self, topic: str) -> list[tuple[str, Any, bool]] | None:
        return self.columns.get(topic)

    def report(self, record: SinkRecord, error: BaseException) -> None:
        if not self.tolerate:
            raise error
        self.reported.append((record, error))


def record(
    topic: str, key: Any, value: Any, offset: int, partition: int = 0, **schemas: Any
) -> SinkRecord:
    return SinkRecord(
        topic=topic, key=key, value=value, offset=offset, partition=partition, **schemas
    )


def poll_all(task: Any, context: FakeSourceContext | None = None, limit: int = 50) -> list:
    """Poll until a poll returns nothing (storing offsets in `context` as the runtime would)."""
    out: list[SourceRecord] = []
    for _ in range(limit):
        batch = task.poll()
        if not batch:
            return out
        if context is not None:
            context.store(batch)
        out.extend(batch)
    raise AssertionError(f"still polling records after {limit} polls")


class Database:
    """A database the test writes to with plain SQL, and the URL the connector gets."""

    def __init__(self, kind: str, url: str, conn: Any) -> None:
        self.kind, self.url, self.conn = kind, url, conn

    def execute(self, *statements: str) -> None:
        for sql in statements:
            self.conn.execute(sql)

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.conn.execute(sql).fetchall()]


def open_database(kind: str, postgres: Any, tmp_path: Any) -> Database:
    if kind == "postgresql":
        name = postgres.create_database("jdbc")
        return Database(kind, "jdbc:" + postgres.url(name), postgres.connect(name))
    if kind == "sqlite":
        path = tmp_path / "test.db"
        return Database(kind, f"jdbc:sqlite:{path}", sqlite3.connect(path, isolation_level=None))
    path = tmp_path / "test.duckdb"
    return Database(kind, f"jdbc:duckdb:{path}", duckdb.connect(str(path)))
