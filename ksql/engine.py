"""The one facade over ksql: execute SQL, produce and read records, run persistent queries."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from ksql import ast
from ksql.catalog import Catalog
from ksql.errors import KsqlError, ParseError, shift_lines
from ksql.executor import dispatch
from ksql.parser import parse, substitute_variables
from ksql.results import Result
from ksql.runtime.aggregate import CACHE_PROPERTY
from ksql.runtime.materialize import Materializations
from ksql.runtime.processing_log import ProcessingLog
from ksql.storage.kafka_backend import open_topic_log
from ksql.storage.log import make_records

DEFAULT_PROPERTIES: dict[str, str] = {
    "ksql.service.id": "default_",
    "ksql.persistence.default.format.key": "KAFKA",
    "auto.offset.reset": "latest",
    # ksqlDB's record cache: updates to one key of a table within a micro-batch are emitted
    # once (0 emits every update, as ksqlDB's test harnesses run).
    CACHE_PROPERTY: "10000000",
}

COMMAND_LOG = "commands.jsonl"
COMMAND_SYNC_S = 0.2  # how often a running engine applies commands other servers wrote

_log = logging.getLogger(__name__)


class Engine:
    """An embedded ksql engine over a data directory.

    Persistent queries advance when `run_until_idle()` is called, or continuously on a
    background thread after `start()`.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        properties: dict[str, Any] | None = None,
        auto_create_topics: bool = False,
    ) -> None:
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ksql-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The embedded log, or a Kafka cluster when `bootstrap.servers` is set.
        self.log = open_topic_log(self.data_dir, properties)
        self.catalog = Catalog()
        self.properties: dict[str, str] = dict(DEFAULT_PROPERTIES)
        self.properties.update({k: str(v) for k, v in (properties or {}).items()})
        self.variables: dict[str, str] = {}
        self.auto_create_topics = auto_create_topics
        self.processing_log = ProcessingLog(self.log)
        self.materialized = Materializations(self.data_dir / "state", self.log)
        self.query_counter = 0
        self.command_counter = 0
        self.lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._replaying = False
        if self.properties.get("ksql.extension.dir"):  # user functions, before the replay
            from ksql.udf import load_extensions

            load_extensions(self.properties["ksql.extension.dir"])
        # On Kafka the command log is a topic shared by the servers of a service id, and with
        # `ksql.cluster.enabled` they share each query's partitions (ksql/cluster/).
        self.commands = None
        self.cluster = None
        self._next_sync = 0.0
        if getattr(self.log, "bootstrap_servers", None):
            self._open_cluster()
        self._replay_commands()

    # ------------------------------------------------------------------ statements

    def execute(
        self,
        sql: str,
        properties: dict[str, Any] | None = None,
        variables: dict[str, str] | None = None,
    ) -> list[Result]:
        """Parse and run every statement in `sql`; returns one result per statement.

        `properties` and `variables` apply to these statements only (REST request scope).
        Stops at the first failing statement and raises its KsqlError.
        """
        results: list[Result] = []
        session = dict(self.properties)
        session.update({k: str(v) for k, v in (properties or {}).items()})
        scope_vars = dict(self.variables)
        scope_vars.update(variables or {})
        with self.lock:
            if self.commands is not None and not self._replaying:
                self.sync_commands()  # statements of other servers come first
            for text, line_offset in _statements_of(sql):
                statement_text = substitute_variables(text, scope_vars)
                try:
                    parsed = parse(statement_text)
                    for item in parsed:
                        result = dispatch(self, item, session, scope_vars)
                        results.append(result)
                        if isinstance(item.statement, ast.DefineVariable | ast.UndefineVariable):
                            scope_vars = dict(self.variables)
                            scope_vars.update(variables or {})
                except KsqlError as error:
                    # Positions count lines of the whole request, as ksqlDB reports them.
                    error.message = shift_lines(error.message, line_offset)
                    if error.statement_text is None:
                        error.statement_text = statement_text
                    if isinstance(error, ParseError) and "\nStatement: " not in error.message:
                        error.message += f"\nStatement: {statement_text.strip()}"
                    raise
        return results

    def record_command(self, text: str, session: dict[str, str]) -> None:
        """Append a catalog-changing statement to the durable command log."""
        if self._replaying:
            return
        if self.commands is not None:
            own = {k: v for k, v in session.items() if self.properties.get(k) != v}
            self.commands.append(text, own)
            return
        overrides = {k: v for k, v in session.items() if DEFAULT_PROPERTIES.get(k) != v}
        line = orjson.dumps({"sql": text, "properties": overrides}) + b"\n"
        with open(self.data_dir / COMMAND_LOG, "ab") as f:
            f.write(line)

    @property
    def replaying(self) -> bool:
        return self._replaying

    def _replay_commands(self) -> None:
        if self.commands is not None:
            self.sync_commands()
            return
        path = self.data_dir / COMMAND_LOG
        if not path.exists():
            return
        self._replaying = True
        try:
            for line in path.read_bytes().splitlines():
                if not line.strip():
                    continue
                entry = orjson.loads(line)
                try:
                    self.execute(entry["sql"], entry.get("properties"))
                except KsqlError:
                    continue  # a command that failed once fails again; it changed nothing
        finally:
            self._replaying = False

    # ------------------------------------------------------------------ cluster hooks

    def _open_cluster(self) -> None:
        from ksql.cluster.commands import CommandTopic

        self.commands = CommandTopic(self.log, self.properties["ksql.service.id"])
        if self.properties.get("ksql.cluster.enabled", "false").lower() == "true":
            from ksql.cluster.node import ClusterNode

            self.cluster = ClusterNode(self)

    def sync_commands(self) -> None:
        """Apply the command topic's statements this engine has not applied yet, in order."""
        with self.lock:
            self._next_sync = time.monotonic() + COMMAND_SYNC_S
            self._replaying = True
            try:
                for entry in self.commands.pending():
                    try:
                        self.execute(entry["sql"], entry.get("properties"))
                    except KsqlError:
                        continue  # it failed where it was written too, or changed nothing
                    except Exception:  # noqa: BLE001 - one bad command must not stop the rest
                        _log.exception("Could not apply command %s", entry.get("id"))
            finally:
                self._replaying = False

    # ------------------------------------------------------------------ records

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp_ms: int = 0,
        headers: list[tuple[str, bytes | None]] | None = None,
        partition: int | None = None,
    ) -> None:
        """Append one raw record (tests, tools); keyed records use Kafka's partitioner."""
        batch = make_records([key], [value], [timestamp_ms], [headers or []])
        if partition is not None:
            batch = batch.append_column("partition", pa.array([partition], pa.int32()))
        self.log.produce(topic, batch)

    def insert_rows(self, target: str, rows: list[dict[str, Any]]) -> None:
        """Append rows (column name -> value; names case-insensitive) to a stream or table,
        encoded in its formats (the REST /inserts-stream path). ROWTIME may be given."""
        import time

        from ksql.runtime.encode import SinkEncoder

        source = self.catalog.source(target) or self.catalog.source(target.upper())
        if source is None:
            raise KsqlError(f"Cannot insert values into an unknown stream/table: {target}")
        if source.is_source:
            raise KsqlError(f"Cannot insert values into read-only {source.kind.lower()}: {target}")
        upper = [{str(k).upper(): v for k, v in row.items()} for row in rows]
        known = {c.name for c in source.columns} | {"ROWTIME"}
        for row in upper:
            unknown = [k for k in row if k not in known]
            if unknown:
                raise KsqlError(f"Column name {unknown[0]} does not exist.")
            if source.is_table and any(row.get(c.name) is None for c in source.key_columns):
                raise KsqlError(
                    f"Failed to insert values into '{source.name}'. Value for primary key "
                    "column(s) is required for tables"
                )
        columns = [c for c in source.columns if not c.is_header]
        try:
            table = pa.table(
                {c.name: pa.array([r.get(c.name) for r in upper], c.type.arrow()) for c in columns}
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError) as error:
            raise KsqlError(f"Failed to insert values into '{source.name}': {error}") from None
        now = int(time.time() * 1000)
        timestamps = pa.array([int(r.get("ROWTIME") or now) for r in upper], pa.int64())
        self.log.produce(source.topic, SinkEncoder(source).encode(table, timestamps))

    def read_topic(self, topic: str) -> pa.Table:
        """Every record of a topic, all partitions, ordered by partition then offset."""
        info = self.log.describe_topic(topic)
        batches = []
        for p in range(info.partitions):
            offset = self.log.start_offset(topic, p)
            while True:
                batch = self.log.read(topic, p, offset)
                if batch.num_rows == 0:
                    break
                batches.append(batch)
                offset = int(batch.column("offset")[-1].as_py()) + 1
        if not batches:
            return pa.Table.from_batches([], schema=_read_schema(self.log))
        return pa.Table.from_batches(batches)

    # ------------------------------------------------------------------ running queries

    def run_until_idle(self, max_rounds: int = 10_000) -> None:
        """Advance every running persistent query until none has input left."""
        for _ in range(max_rounds):
            if not self.step():
                return

    def step(self, max_records: int = 65536) -> bool:
        """One round over all running queries; True if any consumed a record."""
        progressed = False
        if self.commands is not None and time.monotonic() >= self._next_sync:
            self.sync_commands()
        if self.cluster is not None:
            self.cluster.heartbeat()
        with self.lock:
            queries = [q for q in self.catalog.queries.values() if q.state == "RUNNING"]
        for query in queries:
            try:
                if query.runner.step(max_records):
                    progressed = True
            except Exception as exc:  # a failing query must not stop the others
                query.state = "ERROR"
                query.error = f"{type(exc).__name__}: {exc}"
        return progressed

    def start(self, idle_sleep_s: float = 0.05) -> None:
        """Run persistent queries continuously on a background thread."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                if not self.step():
                    self.log.wait_for_append(idle_sleep_s)

        self._thread = threading.Thread(target=loop, name="ksql-queries", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for query in self.catalog.queries.values():
            close = getattr(query.runner, "close", None)
            if close is not None:
                close()
        if self.cluster is not None:
            self.cluster.close()
        self.materialized.close()
        self.log.close()
        if getattr(self, "_tmp", None) is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _statements_of(sql: str) -> list[tuple[str, int]]:
    """The statements of `sql`, each with the number of lines before it."""
    from ksql.parser import statements_with_lines

    return [(s, n) for s, n in statements_with_lines(sql) if s.strip() and s.strip() != ";"]


def _read_schema(log) -> pa.Schema:
    from ksql.storage.log import records_schema

    schema = records_schema()
    return schema.append(pa.field("partition", pa.int32())).append(pa.field("offset", pa.int64()))
