"""The plug-in API of ksql's connect runtime: what a source connector, sink connector,
transform, predicate or converter implements, the records they exchange, Kafka Connect's data
schemas and the errors the runtime understands.

It is Kafka Connect's API in Python. A class written against it is named in
`CREATE SOURCE|SINK CONNECTOR ... WITH ('connector.class'=...)` by its dotted Python path (or by
the Java class name it stands in for, see `ksql.connect.plugins`), and user classes are loaded
from `ksql.extension.dir` like user functions.

Values
------
A record's key and value are plain Python values: None, bool, int, float, str, bytes, list,
dict (a map or a struct: field name -> value), decimal.Decimal, datetime.date,
datetime.time and datetime.datetime (timezone-aware, UTC). With a `Schema` the value follows
it (a STRUCT's dict has exactly its fields); without one (schemaless JSON, strings) the
schema is None.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ksql.errors import KsqlError

# ----------------------------------------------------------------------------- errors


class ConnectError(KsqlError):
    """A connector, task, transform or converter failed; the task is marked FAILED with this
    message and its trace, and restarted with backoff. `http_status` is what Connect's REST
    API answers for it."""

    http_status = 500


class ConfigError(ConnectError):
    """A configuration is invalid (Kafka's ConfigException). Raised by `validate`/`start`, it
    fails the CREATE CONNECTOR statement with this message."""

    http_status = 400


class RetriableError(ConnectError):
    """A transient failure (a database restarting, a timeout): the runtime pauses and calls
    the same method again with the same records, without failing the task."""


class DataError(ConnectError):
    """One record cannot be converted or transformed (Kafka's DataException). With
    `errors.tolerance=all` it goes to the dead-letter topic and the task goes on; otherwise the
    task fails."""


class ConnectorNotFound(ConnectError):
    """No connector has that name (Connect's 404)."""

    http_status = 404


class ConnectorExists(ConnectError):
    """A connector of that name exists already (Connect's 409)."""

    http_status = 409


# ----------------------------------------------------------------------------- schemas

# Kafka Connect's schema types, named as JsonConverter writes them.
INT8, INT16, INT32, INT64 = "int8", "int16", "int32", "int64"
FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES = "float", "double", "boolean", "string", "bytes"
ARRAY, MAP, STRUCT = "array", "map", "struct"
PRIMITIVES = (INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES)

# Logical types: a schema `name` on a primitive type.
DECIMAL = "org.apache.kafka.connect.data.Decimal"  # BYTES; parameters["scale"]
DATE = "org.apache.kafka.connect.data.Date"  # INT32 days since the epoch
TIME = "org.apache.kafka.connect.data.Time"  # INT32 milliseconds since midnight
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"  # INT64 milliseconds since the epoch


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    schema: Schema
    index: int = 0


@dataclass(frozen=True, slots=True)
class Schema:
    """A Kafka Connect schema. `fields` for STRUCT, `key_schema`/`value_schema` for MAP and
    `value_schema` for ARRAY elements; `name` carries logical types and struct names."""

    type: str
    optional: bool = False
    name: str | None = None
    version: int | None = None
    doc: str | None = None
    default: Any = None
    # Compared (a Decimal's scale is a parameter), not hashed (a dict is not hashable).
    parameters: Mapping[str, str] = field(default_factory=dict, hash=False)
    fields: tuple[Field, ...] = ()
    key_schema: Schema | None = None
    value_schema: Schema | None = None

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def replace(self, **changes: Any) -> Schema:
        return dataclasses.replace(self, **changes)


def struct_schema(
    fields: Sequence[tuple[str, Schema]], *, name: str | None = None, optional: bool = False
) -> Schema:
    """A STRUCT schema with `fields` in order."""
    return Schema(
        STRUCT, optional=optional, name=name,
        fields=tuple(Field(n, s, i) for i, (n, s) in enumerate(fields)),
    )  # fmt: skip


# ----------------------------------------------------------------------------- records


@dataclass(slots=True)
class ConnectRecord:
    """One record between a topic and the outside world. `partition` None lets the runtime
    place a source record by its key (Kafka's partitioner)."""

    topic: str
    key: Any = None
    value: Any = None
    key_schema: Schema | None = None
    value_schema: Schema | None = None
    timestamp: int | None = None  # milliseconds since the epoch; None: now
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    partition: int | None = None

    def replace(self, **changes: Any) -> Any:
        """A copy with `changes` (transforms return new records; they never mutate)."""
        new = _copier(type(self))(self)
        for name, value in changes.items():
            setattr(new, name, value)
        return new


_COPIERS: dict[type, Any] = {}


def _copier(cls: type) -> Any:
    """A function copying every field of a `cls` record: straight-line code generated once per
    class, several times faster than dataclasses.replace (transforms copy every record)."""
    copier = _COPIERS.get(cls)
    if copier is None:
        lines = [f"    new.{f.name} = record.{f.name}" for f in dataclasses.fields(cls)]
        source = "def copy(record):\n    new = new_record(cls)\n" + "\n".join(lines)
        namespace: dict[str, Any] = {"new_record": object.__new__, "cls": cls}
        exec(source + "\n    return new\n", namespace)  # noqa: S102 - fixed field names
        copier = _COPIERS[cls] = namespace["copy"]
    return copier


@dataclass(slots=True)
class SourceRecord(ConnectRecord):
    """A record a source task read. `source_partition` names where it came from (a table, a
    file, a replication slot) and `source_offset` how far that source has been read once this
    record is written; the runtime stores the offsets after the records are in the topic."""

    source_partition: Mapping[str, Any] = field(default_factory=dict)
    source_offset: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SinkRecord(ConnectRecord):
    """A record read from `topic`, `partition`, at `offset`."""

    offset: int = -1


# ----------------------------------------------------------------------------- contexts


class SourceTaskContext:
    """What the runtime offers a source task."""

    connector_name: str = ""

    def offset(self, source_partition: Mapping[str, Any]) -> dict[str, Any] | None:
        """The last stored offset of `source_partition`, None if it was never read."""
        raise NotImplementedError


class SinkTaskContext:
    """What the runtime offers a sink task."""

    connector_name: str = ""

    def topic_columns(self, topic: str) -> list[tuple[str, Any, bool]] | None:
        """The columns of the ksql stream or table declared on `topic`, as (name, SqlType,
        is_key), or None when there is none. A sink given schemaless records uses it to type
        the table it creates."""
        raise NotImplementedError

    def report(self, record: SinkRecord, error: BaseException) -> None:
        """Send one record the task cannot write to the dead-letter topic (with
        `errors.tolerance=all`), or raise `error` when errors are not tolerated."""
        raise NotImplementedError


# ----------------------------------------------------------------------------- plug-ins


class Connector:
    """A connector: validates its configuration and splits the work into task configurations.
    `task_class` runs one share of it."""

    kind: ClassVar[str] = ""  # "source" or "sink"
    task_class: ClassVar[type]

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> Any:
        """Its `ksql.connect.config.ConfigDef` (the properties it knows), or None."""
        return None

    def validate(self, config: Mapping[str, str]) -> None:
        """Raise ConfigError when `config` cannot work; the default parses it with
        `config_def()`."""
        definition = self.config_def()
        if definition is not None:
            definition.parse(config)

    def start(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """One configuration per task (at most `max_tasks`); the default runs one task."""
        return [dict(self.config)]

    def stop(self) -> None:
        pass


class SourceConnector(Connector):
    kind = "source"


class SinkConnector(Connector):
    kind = "sink"


class SourceTask:
    """Reads records from outside. The runtime calls `start`, then `poll` in a loop on the
    task's own thread, `commit` once polled records are in their topics and their offsets are
    stored, and `stop` (from another thread, while `poll` may be running)."""

    def start(self, config: Mapping[str, str], context: SourceTaskContext) -> None:
        raise NotImplementedError

    def poll(self) -> list[SourceRecord]:
        """The next records, [] when there are none yet. May block for up to about a second
        (`poll.interval.ms` is the task's business)."""
        raise NotImplementedError

    def commit(self) -> None:
        """Every record returned so far is written and its offset stored (a CDC task
        acknowledges its replication position here)."""

    def offset_order(self, source_partition: Mapping[str, Any], offset: Mapping[str, Any]) -> Any:
        """A tuple that grows with `offset` within one source partition, or None.

        With it, the runtime writes each record exactly once: after a crash between writing
        records and storing their offsets, the records a re-read returns that are already in
        their topic partition are skipped. Without it delivery is at least once."""
        return None

    def stop(self) -> None:
        pass


class SinkTask:
    """Writes records outside. The runtime calls `start`, `positions` once, then `put` with
    batches and `flush` when the batch's positions should become durable."""

    def start(self, config: Mapping[str, str], context: SinkTaskContext) -> None:
        raise NotImplementedError

    def positions(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Next offsets to read that the target itself stores (a sink that commits its
        positions in the same transaction as the rows writes each record exactly once), or {}
        to use the runtime's stored positions."""
        return {}

    def put(self, records: Sequence[SinkRecord]) -> None:
        """Write (or buffer) `records`. Raise RetriableError to have the same batch put again
        after a pause."""
        raise NotImplementedError

    def flush(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Make every record put so far durable. `positions` are the next offsets to read
        once they are; a sink that stores its own positions commits them with the rows."""

    def stop(self) -> None:
        pass


class Transformation:
    """A Single Message Transform: one record in, one record (or None: dropped) out."""

    def configure(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Predicate:
    """A condition a transform is applied under (`transforms.<name>.predicate`)."""

    def configure(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    def test(self, record: ConnectRecord) -> bool:
        raise NotImplementedError


class Converter:
    """Bytes in a topic to and from Connect values (a record's key or value)."""

    def configure(
        self, config: Mapping[str, str], is_key: bool, registry: Any = None
    ) -> None:
        """`config` holds the converter's own properties (the `key.converter.` /
        `value.converter.` prefix removed); `registry` is the engine's schema registry client
        for the schema-registry converters."""
        self.config = dict(config)
        self.is_key = is_key

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        raise NotImplementedError

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        """Raise DataError for bytes that are not in this converter's format."""
        raise NotImplementedError
