"""What the schema-registry converters (AvroConverter, JsonSchemaConverter) share: Confluent's
framing (magic byte, schema id, payload), the subject a written schema goes under
(`key.subject.name.strategy` / `value.subject.name.strategy`: TopicNameStrategy
`<topic>-key|value` by default, RecordNameStrategy, TopicRecordNameStrategy),
`auto.register.schemas`, and writer schemas read by id once.

The registry is the one the runtime passes to `configure`, else the one
`schema.registry.url` names. Without `auto.register.schemas`, a schema is written with the id
of the subject's latest version, which must be the same schema (the registry client offers
no lookup of older versions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from ksql.connect import api
from ksql.connect.api import ConfigError, DataError, Schema
from ksql.connect.config import BOOLEAN, ConfigDef, ConfigKey
from ksql.errors import KsqlError
from ksql.formats.registry_schemas import SubjectSchemas, frame, unframe

_STRATEGY_PACKAGE = "io.confluent.kafka.serializers.subject."
STRATEGIES = ("TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy")


def _strategy(value: str) -> None:
    if value.removeprefix(_STRATEGY_PACKAGE) not in STRATEGIES:
        raise ValueError(f"Must be one of {', '.join(STRATEGIES)}")


CONFIG = ConfigDef([
    ConfigKey("schema.registry.url", doc="The registry to use when ksql's is not given."),
    ConfigKey("basic.auth.user.info", doc="`user:password` for schema.registry.url."),
    ConfigKey("auto.register.schemas", BOOLEAN, True,
              "Register the schema of written values when the subject lacks it."),
    ConfigKey("key.subject.name.strategy", default="TopicNameStrategy", valid=_strategy,
              doc="How the subject of a key schema is named."),
    ConfigKey("value.subject.name.strategy", default="TopicNameStrategy", valid=_strategy,
              doc="How the subject of a value schema is named."),
])  # fmt: skip

_PRIMITIVE_OF = ((bool, api.BOOLEAN), (int, api.INT64), (float, api.FLOAT64), (str, api.STRING))


class Writer(Protocol):
    """How values of one Connect schema are written."""

    text: str  # the registry schema
    record_name: str | None  # for RecordNameStrategy

    def encode(self, value: Any) -> bytes: ...


class Reader(Protocol):
    """How payloads written with one registry schema are read."""

    def decode(self, payload: memoryview) -> tuple[Schema | None, Any]: ...


class RegistryConverter(api.Converter):
    schema_type: ClassVar[str]  # the registry's schema type: AVRO, JSON

    def configure(self, config: Mapping[str, str], is_key: bool, registry: Any = None) -> None:
        super().configure(config, is_key, registry)
        settings = CONFIG.parse(config)
        if registry is None and settings["schema.registry.url"]:
            from ksql.schemas.client import ExternalRegistry, RegistryFailure

            try:
                registry = ExternalRegistry(
                    settings["schema.registry.url"], settings["basic.auth.user.info"]
                )
            except RegistryFailure as error:
                raise ConfigError(str(error)) from None
        if registry is None:
            raise ConfigError(
                f"{type(self).__name__} needs a schema registry: none is configured "
                "(set schema.registry.url)"
            )
        self.registry = registry
        self.auto_register: bool = settings["auto.register.schemas"]
        strategy = settings[
            "key.subject.name.strategy" if is_key else "value.subject.name.strategy"
        ]
        self.strategy: str = strategy.removeprefix(_STRATEGY_PACKAGE)
        self._subjects: dict[str, SubjectSchemas] = {}
        self._by_id = SubjectSchemas(registry, None, self.schema_type)
        self._writers: dict[int, tuple[Schema, Writer]] = {}  # id(schema) -> schema, writer

    # ------------------------------------------------------------ what a format provides

    def writer(self, schema: Schema) -> Writer:
        raise NotImplementedError

    def reader(self, text: str) -> Reader:
        """Raises ValueError (or DataError) when `text` is not a schema of this format."""
        raise NotImplementedError

    # ------------------------------------------------------------ writing

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if schema is None:
            schema = _inferred(value, type(self).__name__)
        cached = self._writers.get(id(schema))
        if cached is None:
            if len(self._writers) >= 1000:
                self._writers.clear()
            cached = self._writers[id(schema)] = (schema, self.writer(schema))
        writer = cached[1]
        schema_id = self._schema_id(self._subject(topic, writer.record_name), writer.text)
        return frame(schema_id, writer.encode(value))

    def _subject(self, topic: str, record_name: str | None) -> str:
        if self.strategy == "TopicNameStrategy":
            return f"{topic}-{'key' if self.is_key else 'value'}"
        if record_name is None:
            raise DataError(f"{self.strategy} needs a named record schema (a STRUCT with a name)")
        return record_name if self.strategy == "RecordNameStrategy" else f"{topic}-{record_name}"

    def _schema_id(self, subject: str, text: str) -> int:
        schemas = self._subjects.get(subject)
        if schemas is None:
            schemas = self._subjects[subject] = SubjectSchemas(
                self.registry, subject, self.schema_type
            )
        try:
            if self.auto_register:
                return schemas.register(text)
            latest = schemas.latest()
        except KsqlError as error:
            raise DataError(str(error)) from None
        if latest is None or json.loads(latest.text.schema) != json.loads(text):
            raise DataError(
                f"Subject {subject} has no version of the schema to write and "
                f"auto.register.schemas is false: {text}"
            )
        return latest.id

    # ------------------------------------------------------------ reading

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return None, None
        try:
            schema_id, payload = unframe(bytes(data))
            reader = self._by_id.parsed(schema_id, self.reader)
        except (KsqlError, ValueError) as error:
            raise DataError(
                f"Converting byte[] to Kafka Connect data failed due to serialization error of "
                f"topic {topic}: {error}"
            ) from None
        return reader.decode(payload)


def _inferred(value: Any, converter: str) -> Schema:
    """The schema of a schemaless primitive value (structs and maps need a schema)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return Schema(api.BYTES)
    for kind, connect_type in _PRIMITIVE_OF:
        if isinstance(value, kind):
            return Schema(connect_type)
    raise DataError(
        f"{converter} cannot write a schemaless {type(value).__name__}: the record needs a "
        "schema (or use JsonConverter with schemas.enable=false)"
    )
