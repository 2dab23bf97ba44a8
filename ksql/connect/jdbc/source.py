"""Kafka Connect's JdbcSourceConnector: tables (or one query) of a database to topics.

Each row becomes a record with a STRUCT value of the row's columns and no key, in topic
`topic.prefix` + table name (`topic.prefix` alone for a query), with source partition
{"table": name} or {"query": "query"} and an offset per mode: {"incrementing": n},
{"timestamp": ms, "timestamp_nanos": ns} or both (bulk mode: none). `offset_order` lets the
runtime deliver incremental modes exactly once.

The connector splits the selected tables between `tasks.max` tasks; a single task (one table,
a query, or tasks.max=1) lists the tables itself every `table.poll.interval.ms`, so that new
tables are read without reconfiguring the connector.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ksql.connect.api import (
    RetriableError,
    SourceConnector,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
)
from ksql.connect.jdbc import source_config
from ksql.connect.jdbc.dialects import POSITIONS_TABLE, Dialect, TableId
from ksql.connect.jdbc.options import open_dialect
from ksql.connect.jdbc.querier import Querier, offset_order
from ksql.connect.jdbc.source_config import TABLES_KEY, SourceSettings

MAX_WAIT_S = 1.0  # the longest a poll() waits for a table to become due


def select_tables(dialect: Dialect, conn: Any, settings: SourceSettings) -> list[TableId]:
    """The tables the configuration selects, in name order."""
    values = settings.values
    found = dialect.list_tables(conn, {t.upper() for t in values["table.types"]})
    dialect.end_read(conn)
    pattern = values["schema.pattern"]

    def names(table: TableId) -> set[str]:
        return {table.name, str(table), dialect.display_name(table)}

    def matches(table: TableId, regexes: list[str]) -> bool:
        return any(re.fullmatch(r, n) for r in regexes for n in names(table))

    selected = []
    for table in found:
        if table.name == POSITIONS_TABLE:
            continue
        if pattern is not None and not _like(pattern, table.schema or ""):
            continue
        if values["table.whitelist"] and not names(table) & set(values["table.whitelist"]):
            continue
        if names(table) & set(values["table.blacklist"]):
            continue
        if values["table.include.list"] and not matches(table, values["table.include.list"]):
            continue
        if matches(table, values["table.exclude.list"]):
            continue
        selected.append(table)
    return selected


def _like(pattern: str, text: str) -> bool:
    """SQL LIKE: % any run, _ any one character."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


class JdbcSourceTask(SourceTask):
    """Polls its tables in turn, each at most every `poll.interval.ms`."""

    def start(self, config: Mapping[str, str], context: SourceTaskContext) -> None:
        self.settings = source_config.parse(config)
        self.dialect = open_dialect(self.settings.values)
        self.context = context
        assigned = config.get(TABLES_KEY)
        self._assigned = json.loads(assigned) if assigned else None
        self._queriers: dict[str, Querier] = {}
        self._next_listing = 0.0
        self._conn: Any = None
        self._lock = threading.Lock()  # poll() and stop() share the connection
        self._stopping = threading.Event()

    def poll(self) -> list[SourceRecord]:
        with self._lock:
            if self._stopping.is_set():
                return []
            with self._on_connection("Reading tables"):
                querier = self._next_querier()
        wait = MAX_WAIT_S if querier is None else querier.next_due - time.monotonic()
        if wait > 0:
            self._stopping.wait(min(wait, MAX_WAIT_S))
            return []
        with self._lock:
            if self._stopping.is_set():
                return []
            assert querier is not None
            with self._on_connection(f"Reading {querier.name}"):
                return querier.read(self._conn, self.settings.values["batch.max.rows"])

    def offset_order(self, source_partition: Mapping[str, Any], offset: Mapping[str, Any]) -> Any:
        return offset_order(self.settings.mode, offset)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._disconnect()

    # ------------------------------------------------------------------ internals

    def _next_querier(self) -> Querier | None:
        """The querier to read next: one in the middle of a bulk round, else the one due
        first. Lists the tables first when this task finds its own."""
        if self._conn is None:
            self._conn = self.dialect.connect()
        if self.settings.query:
            if not self._queriers:
                self._add("query", None)
        elif self._assigned is not None:
            if not self._queriers:
                for name in self._assigned:
                    self._add(name, self.dialect.parse_table(name))
        elif time.monotonic() >= self._next_listing:
            self._refresh_tables()
        busy = [q for q in self._queriers.values() if q.cursor is not None]
        if busy:
            return busy[0]
        return min(self._queriers.values(), key=lambda q: q.next_due, default=None)

    def _refresh_tables(self) -> None:
        tables = {
            self.dialect.display_name(t): t
            for t in select_tables(self.dialect, self._conn, self.settings)
        }
        for gone in set(self._queriers) - set(tables):
            self._queriers.pop(gone).close(self._conn)
        for name, table in tables.items():
            if name not in self._queriers:
                self._add(name, table)
        interval = self.settings.values["table.poll.interval.ms"] / 1000
        self._next_listing = time.monotonic() + interval

    def _add(self, name: str, table: TableId | None) -> None:
        partition = {"query": "query"} if table is None else {"table": name}
        offset = self.context.offset(partition)
        self._queriers[name] = Querier(self.dialect, self.settings, table, offset)

    @contextmanager
    def _on_connection(self, what: str) -> Iterator[None]:
        """Database errors as Connect errors; after a transient one the connection is dropped
        (the next poll reconnects, and starts any bulk round again)."""
        try:
            with self.dialect.errors(f"{what} from {self.dialect.target.display}"):
                yield
        except RetriableError:
            self._disconnect()
            raise

    def _disconnect(self) -> None:
        if self._conn is None:
            return
        for querier in self._queriers.values():
            querier.cursor = None  # gone with the connection
        self.dialect.close(self._conn)
        self._conn = None


class JdbcSourceConnector(SourceConnector):
    task_class = JdbcSourceTask

    def config_def(self) -> Any:
        return source_config.CONFIG

    def validate(self, config: Mapping[str, str]) -> None:
        open_dialect(source_config.parse(config).values)

    def start(self, config: Mapping[str, str]) -> None:
        self.validate(config)
        self.config = dict(config)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        settings = source_config.parse(self.config)
        if settings.query or max_tasks <= 1:
            return [dict(self.config)]
        dialect = open_dialect(settings.values)
        with dialect.errors(f"Listing tables of {dialect.target.display}"):
            conn = dialect.connect()
            try:
                tables = select_tables(dialect, conn, settings)
            finally:
                dialect.close(conn)
        if len(tables) <= 1:
            return [dict(self.config)]
        count = min(max_tasks, len(tables))
        groups = [
            tables[i * len(tables) // count : (i + 1) * len(tables) // count] for i in range(count)
        ]
        return [
            {**self.config, TABLES_KEY: json.dumps([dialect.display_name(t) for t in group])}
            for group in groups
        ]
