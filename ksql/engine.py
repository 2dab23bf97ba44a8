"""The one facade over ksql: prepare and execute SQL, read the catalog, produce and read
records, run persistent queries. The server and the shell reach the engine only through it."""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import pyarrow as pa

from ksql import ast
from ksql.catalog import Catalog, PersistentQuery, Source
from ksql.command_log import CommandFile
from ksql.connect.api import ConnectorExists, ConnectorNotFound
from ksql.connect.runtime import open_connect
from ksql.errors import KsqlError
from ksql.executor import dispatch
from ksql.prepare import PreparedStatement, StatementSource, in_request, prepare_statements
from ksql.results import Result
from ksql.runtime.aggregate import CACHE_PROPERTY
from ksql.runtime.materialize import Materializations
from ksql.runtime.processing_log import ProcessingLog
from ksql.schemas.client import RegistryClient, open_registry
from ksql.storage.kafka_backend import open_topic_log
from ksql.storage.log import make_records
from ksql.storage.topics import TopicInfo
from ksql.types import SqlType

DEFAULT_PROPERTIES: dict[str, str] = {
    "ksql.service.id": "default_",
    "ksql.persistence.default.format.key": "KAFKA",
    "auto.offset.reset": "latest",
    # ksqlDB's record cache: updates to one key of a table within a micro-batch are emitted
    # once (0 emits every update, as ksqlDB's test harnesses run).
    CACHE_PROPERTY: "10000000",
}

STREAMS_PREFIX = "ksql.streams."  # a Kafka Streams property may be given with or without it
COMMAND_SYNC_S = 0.2  # how often a running engine applies commands other servers wrote

# Statements that may close a running query's runner (TERMINATE, DROP, CREATE OR REPLACE):
# they wait for a runner's step in progress, and no runner is stepped while they run.
_CLOSES_RUNNERS = (ast.Terminate, ast.DropSource, ast.CreateAsSelect)

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
        # What this engine was configured with: SET changes `properties`, and a command is
        # recorded with the properties in force that differ from these.
        self._configured = dict(self.properties)
        self.variables: dict[str, str] = {}
        self.auto_create_topics = auto_create_topics
        self.processing_log = ProcessingLog(self.log)
        # The schema registry the AVRO / PROTOBUF / JSON_SR formats use: the built-in one in
        # `<data-dir>/schemas`, or the external one `ksql.schema.registry.url` names.
        self.registry = open_registry(self.data_dir, self.properties)
        self.log.schema_registry = self.registry
        self.materialized = Materializations(self.data_dir / "state", self.log)
        # Connectors: run here over this log, or by the Connect cluster `ksql.connect.url`.
        self.connect = open_connect(
            self.log, self.properties, registry=self.registry, topic_columns=self._topic_columns
        )
        self.query_counter = 0
        self.lock = threading.RLock()
        # Held while a runner steps and while a statement may close runners (never the other
        # way round: a statement takes `lock` first), so a runner is not stepped during or
        # after its close.
        self._stepping = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._replaying = False
        if self.properties.get("ksql.extension.dir"):  # user functions, before the replay
            from ksql.udf import load_extensions

            load_extensions(self.properties["ksql.extension.dir"])
        # On Kafka the command log is a topic shared by the servers of a service id, and with
        # `ksql.cluster.enabled` they share each query's partitions (ksql/cluster/).
        self.commands: Any = CommandFile(self.data_dir)
        self.cluster = None
        self._next_sync = 0.0
        if getattr(self.log, "bootstrap_servers", None):
            self._open_cluster()
        self.sync_commands()

    # ------------------------------------------------------------------ statements

    def session(self, properties: dict[str, Any] | None = None) -> dict[str, str]:
        """The properties in force for a request: the engine's, overridden by the request's.
        SET and UNSET statements executed with it change it for the statements after them."""
        session = dict(self.properties)
        overrides = {k: str(v) for k, v in (properties or {}).items()}
        for name in overrides:
            # `auto.offset.reset` and `ksql.streams.auto.offset.reset` are one property: a
            # request's override of either replaces the server's value under the other name.
            other = name.removeprefix(STREAMS_PREFIX) if name.startswith(STREAMS_PREFIX) else (
                STREAMS_PREFIX + name
            )
            if other not in overrides:
                session.pop(other, None)
        session.update(overrides)
        return session

    def prepare(
        self,
        request: str | Sequence[StatementSource],
        variables: dict[str, str] | None = None,
    ) -> list[PreparedStatement]:
        """Split `request` into statements and parse each once, `${name}` substituted from
        the engine's variables, `variables` (this request's) and the request's own DEFINEs.
        Raises the first statement's ParseError; nothing runs."""
        scope = dict(self.variables)
        scope.update({k: str(v) for k, v in (variables or {}).items()})
        return prepare_statements(request, scope)

    def execute_prepared(
        self, prepared: PreparedStatement, session: dict[str, str] | None = None
    ) -> Result:
        """Run one prepared statement with `session` (see `session()`); raises its KsqlError
        with positions counted in the request it came from."""
        with self.lock:
            self._catch_up()
            return self._run(prepared, self.session() if session is None else session)

    def execute(
        self,
        sql: str,
        properties: dict[str, Any] | None = None,
        variables: dict[str, str] | None = None,
    ) -> list[Result]:
        """Prepare and run every statement in `sql`; returns one result per statement.

        `properties` and `variables` apply to these statements only (REST request scope).
        Stops at the first failing statement and raises its KsqlError.
        """
        prepared = self.prepare(sql, variables)
        session = self.session(properties)
        with self.lock:
            self._catch_up()
            return [self._run(p, session) for p in prepared]

    @contextlib.contextmanager
    def request_scope(self) -> Iterator[None]:
        """Statements run inside change the engine's properties and variables until the scope
        ends (a REST request's SET and DEFINE end with it); other statements wait."""
        with self.lock:
            saved_properties, saved_variables = dict(self.properties), dict(self.variables)
            try:
                yield
            finally:
                self.properties.clear()
                self.properties.update(saved_properties)
                self.variables.clear()
                self.variables.update(saved_variables)

    def _run(self, prepared: PreparedStatement, session: dict[str, str]) -> Result:
        closes = isinstance(prepared.statement, _CLOSES_RUNNERS)
        with self._stepping if closes else contextlib.nullcontext():
            try:
                return dispatch(self, prepared.parsed, session, None)
            except KsqlError as error:
                in_request(error, prepared.text, prepared.source.line_offset)
                raise

    # ------------------------------------------------------------------ connectors

    def create_connector(self, name: str, config: dict[str, Any]) -> dict[str, Any]:
        """Create a connector as CREATE SOURCE|SINK CONNECTOR would (Connect's REST API);
        returns Connect's ConnectorInfo."""
        from ksql.executor.connectors import create_statement

        if name in self.connect.names():
            raise ConnectorExists(f"Connector {name} already exists")
        kind = self.connect.plugin_kind(str(config.get("connector.class", ""))) or "source"
        (result,) = self.execute(create_statement(name, kind, config))
        return result.info

    def drop_connector(self, name: str) -> None:
        from ksql.executor.connectors import drop_statement

        if name not in self.connect.names():
            raise ConnectorNotFound(f"Connector {name} not found")
        self.execute(drop_statement(name))

    def put_connector(self, name: str, config: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create the connector or replace its configuration; (info, created)."""
        existed = name in self.connect.names()
        if existed:
            self.drop_connector(name)
        return self.create_connector(name, config), not existed

    # ------------------------------------------------------------------ command log

    def record_command(self, text: str, session: dict[str, str]) -> None:
        """Append a catalog-changing statement to the durable command log, with the
        properties in force that differ from the engine's configuration (a SET before it
        included), so that a replay runs it as it ran here."""
        if self._replaying:
            return
        overrides = {k: v for k, v in session.items() if self._configured.get(k) != v}
        self.commands.append(text, overrides)

    @property
    def replaying(self) -> bool:
        return self._replaying

    def _open_cluster(self) -> None:
        from ksql.cluster.commands import CommandTopic

        self.commands = CommandTopic(self.log, self.properties["ksql.service.id"])
        if self.properties.get("ksql.cluster.enabled", "false").lower() == "true":
            from ksql.cluster.node import ClusterNode

            self.cluster = ClusterNode(self)

    def _catch_up(self) -> None:
        """Statements other servers wrote come before this one."""
        if self.commands.shared and not self._replaying:
            self.sync_commands()

    def sync_commands(self) -> None:
        """Apply the command log's statements this engine has not applied yet, in order (all
        of them on start; on Kafka, later, those the other servers wrote)."""
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

    # ------------------------------------------------------------------ catalog

    def source(self, name: str) -> Source | None:
        """The stream or table named exactly `name`."""
        with self.lock:
            return self.catalog.source(name)

    def sources(self) -> list[Source]:
        """Every stream and table, in the order they were created."""
        with self.lock:
            return list(self.catalog.sources.values())

    def _topic_columns(self, topic: str) -> list[tuple[str, SqlType, bool]] | None:
        """The columns of the stream or table declared on `topic` (for connectors)."""
        for source in self.sources():
            if source.topic == topic:
                return [(c.name, c.type, c.is_key) for c in source.columns if not c.is_header]
        return None

    def types(self) -> dict[str, SqlType]:
        """Custom types by name."""
        with self.lock:
            return dict(self.catalog.types)

    def query(self, query_id: str) -> PersistentQuery | None:
        with self.lock:
            return self.catalog.queries.get(query_id)

    def queries(
        self, *, reading: str | None = None, writing: str | None = None
    ) -> list[PersistentQuery]:
        """Persistent queries, in the order they started; only those reading the source
        `reading` and writing the source `writing` when given."""
        with self.lock:
            found = list(self.catalog.queries.values())
        if reading is not None:
            found = [q for q in found if reading in q.sources]
        if writing is not None:
            found = [q for q in found if q.sink == writing]
        return found

    @property
    def in_cluster(self) -> bool:
        """True when servers with this service id share each query's partitions."""
        return self.cluster is not None

    @property
    def cluster_url(self) -> str | None:
        """The URL this server advertises to the other members; None outside a cluster."""
        return self.cluster.url if self.cluster is not None else None

    def cluster_members(self) -> list[dict[str, Any]]:
        """Every member's latest heartbeat (ksql/cluster/node.py); empty outside a cluster."""
        return self.cluster.members() if self.cluster is not None else []

    def key_owner(self, table: Source, values: dict[str, Any]):
        """In cluster mode, the server that owns the key `values` (key column -> value) of
        `table` (a `KeyOwner`), or None when it cannot be told or there is no cluster."""
        if self.cluster is None:
            return None
        from ksql.cluster.key_owner import locate_key

        return locate_key(self.cluster, self, table, values)

    def terminate_cluster(self, delete_topics: Sequence[re.Pattern[str]]) -> None:
        """Stop every query, drop every source and type, delete the topics whose names match
        one of `delete_topics`, and start the command log afresh: a clean slate."""
        with self.lock:
            if self.catalog.queries:
                self.execute("TERMINATE ALL;")
            # Sinks before the sources they read from: the reverse of creation order.
            for source in reversed(self.sources()):
                self.execute(f"DROP {source.kind} `{source.name}`;")
            for name in self.types():
                self.execute(f"DROP TYPE `{name}`;")
            for info in self.log.list_topics():
                if any(p.fullmatch(info.name) for p in delete_topics):
                    self.log.delete_topic(info.name)
            # A command topic keeps its history: the DROPs just recorded leave nothing.
            if isinstance(self.commands, CommandFile):
                self.commands.clear()

    # ------------------------------------------------------------------ topics

    def schema_registry(self) -> RegistryClient:
        """The registry this engine's formats use (the server serves the built-in one)."""
        return self.registry

    def registry_app(self, users: Sequence[str] | None = None) -> Any:
        """The built-in registry's REST API (Confluent's) as an ASGI app, with Basic auth for
        `users` (`name:password`); None when the engine uses an external registry."""
        store = getattr(self.registry, "store", None)
        if store is None:
            return None
        from ksql.schemas.rest import registry_app

        return registry_app(store, users)

    def topics(self) -> list[TopicInfo]:
        """Every topic's TopicInfo (name, partitions, replicas, config)."""
        return self.log.list_topics()

    def topic_info(self, name: str) -> TopicInfo | None:
        """The topic's TopicInfo, or None when there is no such topic."""
        return self.log.describe_topic(name) if self.log.topic_exists(name) else None

    def create_topic(self, name: str, partitions: int = 1, replicas: int = 1) -> None:
        self.log.create_topic(name, partitions=partitions, replicas=replicas)

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The next offset of each partition of `topic` ({} when there is no such topic)."""
        info = self.topic_info(topic)
        if info is None:
            return {}
        return {p: self.log.end_offset(topic, p) for p in range(info.partitions)}

    def follow_topic(
        self, topic: str, *, from_beginning: bool, stop: threading.Event, max_records: int = 1000
    ) -> Iterator[tuple[int, dict[str, list]]]:
        """(partition, records as columns) of `topic` as they are appended, from the start or
        from now, until `stop` is set. Where it starts is fixed by this call."""
        partitions = self.log.describe_topic(topic).partitions
        log = self.log
        positions = {
            p: log.start_offset(topic, p) if from_beginning else log.end_offset(topic, p)
            for p in range(partitions)
        }

        def records() -> Iterator[tuple[int, dict[str, list]]]:
            while not stop.is_set():
                since = log.append_seq
                got_any = False
                for p, offset in positions.items():
                    batch = log.read(topic, p, offset, max_records)
                    if batch.num_rows == 0:
                        continue
                    got_any = True
                    columns = batch.to_pydict()
                    positions[p] = columns["offset"][-1] + 1
                    yield p, columns
                if not got_any:
                    log.wait_for_append(0.2, since)

        return records()

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
        encoded in its formats (the REST /inserts-stream path). A row without ROWTIME (or
        with a null one) is stamped with the current time. A value that does not fit its
        column's type fails the rows (ksqlDB's coercion: numbers only widen)."""
        from ksql.formats.rest_values import coerce_rest_value
        from ksql.runtime.encode import SinkEncoder
        from ksql.types import BIGINT

        source = self.source(target) or self.source(target.upper())
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
        values = {c.name: [coerce_rest_value(r.get(c.name), c.type) for r in upper] for c in columns}
        try:
            table = pa.table({c.name: pa.array(values[c.name], c.type.arrow()) for c in columns})
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError) as error:
            raise KsqlError(f"Failed to insert values into '{source.name}': {error}") from None
        now = int(time.time() * 1000)
        stamps = [coerce_rest_value(r.get("ROWTIME"), BIGINT) for r in upper]
        timestamps = pa.array([now if t is None else t for t in stamps], pa.int64())
        self.log.produce(source.topic, SinkEncoder(source, registry=self.registry).encode(table, timestamps))

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
            return pa.Table.from_batches([], schema=_read_schema())
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
        if self.commands.shared and time.monotonic() >= self._next_sync:
            self.sync_commands()
        if self.cluster is not None:
            self.cluster.heartbeat()
        for query in self.queries():
            with self._stepping:
                # Terminated, dropped or replaced since the list was taken: its runner is
                # closed (closing statements hold `_stepping` too).
                if self.catalog.queries.get(query.query_id) is not query:
                    continue
                if query.state != "RUNNING":
                    continue
                try:
                    if query.runner.step(max_records):
                        progressed = True
                except Exception as exc:  # noqa: BLE001 - a failing query must not stop the others
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
        self.connect.close()  # connector tasks stop before the log they write closes
        with self.lock, self._stepping:  # a step still running finishes first
            for query in self.catalog.queries.values():
                close = getattr(query.runner, "close", None)
                if close is not None:
                    close()
        if self.cluster is not None:
            self.cluster.close()
        self.materialized.close()
        close_registry = getattr(self.registry, "close", None)
        if close_registry is not None:
            close_registry()
        self.log.close()
        if getattr(self, "_tmp", None) is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_data_dir(data_dir: str | Path) -> list[str]:
    """Set damaged frames of a data directory's log aside, keeping every intact one (see
    ksql/storage/repair.py); one line per repaired segment. No server may use it meanwhile."""
    from ksql.storage.repair import repair

    return [done.describe() for done in repair(Path(data_dir))]


def _read_schema() -> pa.Schema:
    from ksql.storage.log import records_schema

    schema = records_schema()
    return schema.append(pa.field("partition", pa.int32())).append(pa.field("offset", pa.int64()))
