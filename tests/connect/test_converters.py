"""Kafka Connect's converters (ksql.connect.converters): round trips for every converter, the
JSON envelope as Kafka writes it, the schema-registry converters against ksql's registry (and
Confluent's own serializers through its HTTP API), and bytes that are not in the format."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
from decimal import Decimal

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from ksql.connect import api
from ksql.connect.api import ConfigError, DataError, Schema
from ksql.connect.converters import PLUGINS, build_converter
from ksql.connect.converters.json_converter import JsonConverter
from ksql.connect.plugins import load_class
from ksql.formats.registry_schemas import frame
from ksql.schemas.client import LocalRegistry
from ksql.schemas.model import SchemaText
from ksql.schemas.store import SchemaStore
from tests.test_schema_registry import RegistryServer

UTC = dt.UTC
AVRO = "io.confluent.connect.avro.AvroConverter"
JSON_SR = "io.confluent.connect.json.JsonSchemaConverter"
STRATEGIES = "io.confluent.kafka.serializers.subject"

DECIMAL = Schema(api.BYTES, name=api.DECIMAL, version=1, parameters={"scale": "2"})
ADDRESS = api.struct_schema(
    [("city", Schema(api.STRING)), ("zip", Schema(api.INT32, optional=True))],
    name="com.example.Address", optional=True,
)  # fmt: skip
ROW = api.struct_schema([
    ("id", Schema(api.INT64)),
    ("name", Schema(api.STRING, optional=True)),
    ("small", Schema(api.INT8)),
    ("short", Schema(api.INT16)),
    ("ratio", Schema(api.FLOAT32)),
    ("score", Schema(api.FLOAT64, optional=True)),
    ("ok", Schema(api.BOOLEAN)),
    ("raw", Schema(api.BYTES)),
    ("price", DECIMAL),
    ("day", Schema(api.INT32, name=api.DATE, version=1)),
    ("at", Schema(api.INT32, name=api.TIME, version=1)),
    ("ts", Schema(api.INT64, name=api.TIMESTAMP, version=1, optional=True)),
    ("tags", Schema(api.ARRAY, value_schema=Schema(api.STRING))),
    ("counts", Schema(api.MAP, key_schema=Schema(api.STRING), value_schema=Schema(api.INT32))),
    ("by_id", Schema(api.MAP, key_schema=Schema(api.INT32), value_schema=Schema(api.STRING))),
    ("address", ADDRESS),
], name="com.example.Row")  # fmt: skip
VALUE = {
    "id": 1, "name": "Ada", "small": -3, "short": 300, "ratio": 0.5, "score": None, "ok": True,
    "raw": b"\x00\xff", "price": Decimal("12.30"), "day": dt.date(2024, 1, 2),
    "at": dt.time(3, 4, 5, 6000), "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    "tags": ["a", "b"], "counts": {"x": 1}, "by_id": {7: "seven"},
    "address": {"city": "Oslo", "zip": None},
}  # fmt: skip


def converter(name: str, is_key: bool = False, registry=None, **config: str) -> api.Converter:
    prefix = "key.converter" if is_key else "value.converter"
    props = {f"{prefix}.{k.replace('_', '.')}": v for k, v in config.items()}
    return build_converter({prefix: name, **props}, is_key, registry)


def parameters_of(schema: Schema) -> list:
    """Schema equality ignores parameters (Decimal scales): compare them too."""
    out = [dict(schema.parameters)]
    for f in schema.fields:
        out += parameters_of(f.schema)
    for inner in (schema.key_schema, schema.value_schema):
        if inner is not None:
            out += parameters_of(inner)
    return out


@pytest.fixture
def registry(tmp_path):
    found = LocalRegistry.open(tmp_path / "schemas")
    yield found
    found.close()


def test_every_plugin_loads():
    for name in PLUGINS:
        assert issubclass(load_class(name), api.Converter), name


# ----------------------------------------------------------------------------- JsonConverter


def test_json_envelope_is_kafkas():
    schema = api.struct_schema(
        [("id", Schema(api.INT32)), ("price", DECIMAL.replace(optional=True))], name="r"
    )
    raw = JsonConverter()
    raw.configure({}, False)
    data = raw.from_connect("t", schema, {"id": 1, "price": Decimal("1.05")})
    assert json.loads(data) == {
        "schema": {
            "type": "struct", "optional": False, "name": "r",
            "fields": [
                {"type": "int32", "optional": False, "field": "id"},
                {"type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal",
                 "version": 1, "parameters": {"scale": "2"}, "field": "price"},
            ],
        },
        "payload": {"id": 1, "price": "aQ=="},  # 105 as big-endian bytes, base64
    }  # fmt: skip


def test_json_round_trip_with_schemas():
    for decimal_format in ("BASE64", "NUMERIC"):
        c = converter("org.apache.kafka.connect.json.JsonConverter", decimal_format=decimal_format)
        data = c.from_connect("t", ROW, VALUE)
        schema, value = c.to_connect("t", data)
        assert value == VALUE
        assert schema == ROW and parameters_of(schema) == parameters_of(ROW)
    numeric = json.loads(data)["payload"]
    assert '"price":12.30' in data.decode() and numeric["by_id"] == [[7, "seven"]]
    assert numeric["day"] == 19724 and numeric["at"] == 11045006 and numeric["raw"] == "AP8="


def test_json_reads_what_kafka_writes():
    data = (
        b'{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},'
        b'{"type":"string","optional":true,"field":"name"},{"type":"int64","optional":true,'
        b'"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},'
        b'{"type":"int32","optional":true,"default":5,"field":"n"}],'
        b'"optional":false,"name":"server1.inventory.customers.Value"},'
        b'"payload":{"id":1001,"name":"Sally","ts":1700000000000,"n":null}}'
    )
    schema, value = converter("JsonConverter").to_connect("t", data)
    assert schema.name == "server1.inventory.customers.Value"
    assert schema.field("n").schema.default == 5
    assert value == {"id": 1001, "name": "Sally", "n": 5,
                     "ts": dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)}  # fmt: skip


def test_json_schemaless():
    plain = converter("JsonConverter", schemas_enable="false")
    value = {"a": 1, "b": [1.5, None, "x"], "c": {"d": True}}
    assert plain.from_connect("t", None, value) == b'{"a":1,"b":[1.5,null,"x"],"c":{"d":true}}'
    assert plain.to_connect("t", b'{"a":1,"b":[1.5,null,"x"],"c":{"d":true}}') == (None, value)
    enveloped = converter("JsonConverter")
    data = enveloped.from_connect("t", None, {"k": "v"})
    assert json.loads(data) == {"schema": None, "payload": {"k": "v"}}
    assert enveloped.to_connect("t", data) == (None, {"k": "v"})
    assert enveloped.from_connect("t", None, None) is None
    assert enveloped.to_connect("t", None) == (None, None)
    # A tombstone with a schema keeps its envelope, as Kafka writes it.
    assert json.loads(enveloped.from_connect("t", Schema(api.STRING, optional=True), None)) == {
        "schema": {"type": "string", "optional": True}, "payload": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "failed due to serialization error"),
        (b'{"a": 1}', 'requires "schema" and "payload" fields'),
        (b'{"schema": {"type": "int32"}, "payload": "x"}', "Invalid type for INT32: str"),
        (b'{"schema": {"type": "int32"}, "payload": null}', "Invalid null value for required"),
        (b'{"schema": {"type": "uuid"}, "payload": 1}', "Unknown schema type: uuid"),
        (b'{"schema": {"type": "struct"}, "payload": {}}', '"fields" argument is not an array'),
        (b'{"schema": {"type": "bytes"}, "payload": "!!"}', "Invalid base64"),
        (b'{"schema": {"type": "struct", "fields": []}, "payload": 3}', "Structs should be"),
    ],
)
def test_json_bad_bytes(data, message):
    with pytest.raises(DataError, match=message):
        converter("JsonConverter").to_connect("t", data)


def test_big_decimals_keep_every_digit(registry):
    schema = api.struct_schema([("d", DECIMAL.replace(parameters={"scale": "4"}))])
    value = {"d": Decimal("12345678901234567890123456789012345678.1234")}
    for name in ("JsonConverter", AVRO, JSON_SR):
        c = converter(name, registry=registry)
        topic = f"big-{name}"
        assert c.to_connect(topic, c.from_connect(topic, schema, value))[1] == value, name


def test_json_bad_values_and_config():
    c = converter("JsonConverter")
    with pytest.raises(DataError, match="Invalid type for INT32: str"):
        c.from_connect("t", Schema(api.INT32), "1")
    with pytest.raises(DataError, match="null value for field that is required"):
        c.from_connect("t", ROW, {**VALUE, "id": None})
    with pytest.raises(DataError, match="more digits after the point"):
        c.from_connect("t", DECIMAL, Decimal("1.234"))
    with pytest.raises(ConfigError, match="value.converter .*decimal.format"):
        converter("JsonConverter", decimal_format="HEX")
    with pytest.raises(ConfigError, match="Expected value to be either true or false"):
        converter("JsonConverter", schemas_enable="yes")


# ----------------------------------------------------------------------------- primitives


def test_string_converter():
    c = converter("org.apache.kafka.connect.storage.StringConverter")
    assert c.from_connect("t", None, "héllo") == "héllo".encode()
    assert c.to_connect("t", "héllo".encode()) == (Schema(api.STRING, optional=True), "héllo")
    assert c.from_connect("t", None, True) == b"true"
    assert c.from_connect("t", None, {"a": 1}) == b'{"a":1}'
    assert c.from_connect("t", None, None) is None
    latin = converter("StringConverter", converter_encoding="ISO-8859-1")
    assert latin.from_connect("t", None, "é") == b"\xe9"
    with pytest.raises(DataError, match="not utf-8 text"):
        c.to_connect("t", b"\xff\xfe")
    with pytest.raises(ConfigError, match="converter.encoding"):
        converter("StringConverter", converter_encoding="klingon")


def test_byte_array_converter():
    c = converter("ByteArrayConverter")
    assert c.from_connect("t", Schema(api.BYTES), b"\x01") == b"\x01"
    assert c.to_connect("t", b"\x01") == (Schema(api.BYTES, optional=True), b"\x01")
    with pytest.raises(DataError, match="not compatible with objects of type str"):
        c.from_connect("t", None, "text")
    with pytest.raises(DataError, match="Invalid schema type for ByteArrayConverter: STRING"):
        c.from_connect("t", Schema(api.STRING), b"x")


@pytest.mark.parametrize(
    ("name", "value", "data"),
    [
        ("ShortConverter", -2, b"\xff\xfe"),
        ("IntegerConverter", 258, b"\x00\x00\x01\x02"),
        ("LongConverter", -1, b"\xff" * 8),
        ("FloatConverter", 1.5, struct.pack(">f", 1.5)),
        ("DoubleConverter", 0.1, struct.pack(">d", 0.1)),
        ("BooleanConverter", True, b"\x01"),
    ],
)
def test_number_converters(name, value, data):
    c = converter(f"org.apache.kafka.connect.converters.{name}")
    assert c.from_connect("t", None, value) == data
    schema, back = c.to_connect("t", data)
    assert back == value and schema.optional
    assert c.from_connect("t", None, None) is None and c.to_connect("t", None)[1] is None
    with pytest.raises(DataError):
        c.to_connect("t", data + b"\x00")
    with pytest.raises(DataError):
        c.from_connect("t", None, "not a number")


def test_integer_converter_overflow():
    with pytest.raises(DataError, match="does not fit a Integer"):
        converter("IntegerConverter").from_connect("t", None, 2**40)
    with pytest.raises(DataError, match="Size of data received by IntegerDeserializer is not 4"):
        converter("IntegerConverter").to_connect("t", b"\x00")


# ----------------------------------------------------------------------------- build_converter


def test_build_converter_defaults_and_errors():
    default = build_converter({}, True)
    assert isinstance(default, JsonConverter) and default.schemas_enable and default.is_key
    assert not build_converter({"value.converter.schemas.enable": "false"}, False).schemas_enable
    with pytest.raises(ConfigError, match="Invalid value Nope for configuration key.converter"):
        build_converter({"key.converter": "Nope"}, True)
    with pytest.raises(ConfigError, match="AvroConverter needs a schema registry"):
        build_converter({"value.converter": AVRO}, False)


# ----------------------------------------------------------------------------- AvroConverter


def test_avro_round_trip_registers_under_the_topic(registry):
    c = converter(AVRO, registry=registry)
    data = c.from_connect("orders", ROW, VALUE)
    assert data[0] == 0
    latest = registry.latest("orders-value")
    assert latest is not None and struct.unpack(">I", data[1:5])[0] == latest.id
    avro = json.loads(latest.text.schema)
    assert (avro["type"], avro["name"], avro["namespace"]) == ("record", "Row", "com.example")
    fields = {f["name"]: f["type"] for f in avro["fields"]}
    assert fields["small"] == {"type": "int", "connect.type": "int8"}
    assert fields["name"] == ["null", "string"]
    assert fields["by_id"]["items"]["name"] == "MapEntry"
    schema, value = converter(AVRO, registry=registry).to_connect("orders", data)
    assert value == VALUE
    # Avro's decimal precision comes back as a parameter, as Kafka's AvroConverter gives it.
    assert schema.field("price").schema.parameters == {
        "scale": "2", "connect.decimal.precision": "64"
    }
    others = [f for f in schema.fields if f.name != "price"]
    assert others == [f for f in ROW.fields if f.name != "price"]
    assert parameters_of(schema)[0] == {}
    key = converter(AVRO, is_key=True, registry=registry)
    assert key.to_connect("orders", key.from_connect("orders", None, 42)) == (Schema(api.INT64), 42)
    assert registry.latest("orders-key").text.schema == '"long"'
    assert c.from_connect("orders", ROW, None) is None and c.to_connect("orders", None) == (
        None,
        None,
    )


def test_avro_subject_strategies_and_auto_register(registry):
    record = converter(AVRO, registry=registry, value_subject_name_strategy="RecordNameStrategy")
    record.from_connect("orders", ROW, VALUE)
    assert registry.latest("com.example.Row") is not None
    record.from_connect("orders", ADDRESS, {"city": "Oslo", "zip": 1})  # optional: a union
    assert registry.latest("com.example.Address") is not None
    with pytest.raises(DataError, match="RecordNameStrategy needs a named record schema"):
        record.from_connect("orders", Schema(api.STRING), "text")
    topic_record = converter(
        AVRO, registry=registry,
        value_subject_name_strategy=f"{STRATEGIES}.TopicRecordNameStrategy",
    )  # fmt: skip
    topic_record.from_connect("orders", ROW, VALUE)
    assert registry.latest("orders-com.example.Row") is not None

    fixed = converter(AVRO, registry=registry, auto_register_schemas="false")
    with pytest.raises(DataError, match="auto.register.schemas is false"):
        fixed.from_connect("payments", ROW, VALUE)
    converter(AVRO, registry=registry).from_connect("payments", ROW, VALUE)
    assert fixed.to_connect("payments", fixed.from_connect("payments", ROW, VALUE))[1] == VALUE
    with pytest.raises(ConfigError, match="value.subject.name.strategy"):
        converter(AVRO, registry=registry, value_subject_name_strategy="Mine")


def test_avro_incompatible_schema_is_a_data_error(registry):
    c = converter(AVRO, registry=registry)
    c.from_connect("t", api.struct_schema([("a", Schema(api.INT32))]), {"a": 1})
    with pytest.raises(DataError, match="Could not register schema for t-value"):
        c.from_connect("t", api.struct_schema([("b", Schema(api.STRING))]), {"b": "x"})


def test_avro_reads_other_producers_schemas(registry):
    schema = {
        "type": "record", "name": "Event", "namespace": "io.example",
        "fields": [
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
            {"name": "either", "type": ["null", "int", "string"], "default": None},
            {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                        "precision": 9, "scale": 3}},
            {"name": "micros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "extra", "type": {"type": "map", "values": "long"}},
        ],
    }  # fmt: skip
    datum = {
        "kind": "B", "hash": b"\x01\x02", "either": "text", "amount": Decimal("1.500"),
        "micros": dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        "id": "0b9a3f3e-5d2a-4d2e-9a53-3c4d1f6f4a11", "extra": {"n": 1},
    }  # fmt: skip
    schema_id = registry.register("events-value", SchemaText("AVRO", json.dumps(schema)))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), datum)
    c = converter(AVRO, registry=registry)
    connect, value = c.to_connect("events", frame(schema_id, buffer.getvalue()))
    assert value == {**datum, "either": {"int": None, "string": "text"}}
    either = connect.field("either").schema
    assert either.name == "io.confluent.connect.avro.Union" and either.optional
    assert (
        connect.field("kind").schema.parameters["io.confluent.connect.avro.Enum"]
        == "io.example.Kind"
    )
    # Written back, the enum and the fixed keep their Avro types.
    again = c.from_connect("events-copy", connect, value)
    written = json.loads(registry.latest("events-copy-value").text.schema)
    types = {f["name"]: f["type"] for f in written["fields"]}
    assert types["kind"]["type"] == "enum" and types["hash"] == {
        "type": "fixed", "name": "Hash", "namespace": "io.example", "size": 2,
    }  # fmt: skip
    # Connect's Timestamp has milliseconds: timestamp-micros is written back as millis.
    millis = value["micros"].replace(microsecond=123000)
    assert c.to_connect("events-copy", again)[1] == {**value, "micros": millis}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"plain text", "Unknown magic byte"),
        (b"\x00\x00", "Unknown magic byte"),
        (b"\x00\x00\x00\x03\xe7\x02", "schema id 999"),
    ],
)
def test_avro_bad_bytes(registry, data, message):
    with pytest.raises(DataError, match=message):
        converter(AVRO, registry=registry).to_connect("t", data)


def test_avro_truncated_payload(registry):
    c = converter(AVRO, registry=registry)
    data = c.from_connect("t", ROW, VALUE)
    with pytest.raises(DataError, match="Invalid Avro data"):
        c.to_connect("t", data[:12])
    with pytest.raises(DataError, match="does not fit its Avro schema"):
        c.from_connect("t", ROW, {**VALUE, "small": "x"})
    with pytest.raises(DataError, match="cannot write a schemaless dict"):
        c.from_connect("t", None, {"a": 1})


# ----------------------------------------------------------------------------- JsonSchemaConverter


def test_json_schema_round_trip(registry):
    c = converter(JSON_SR, registry=registry)
    data = c.from_connect("orders", ROW, VALUE)
    assert data[0] == 0 and b'"price":12.30' in data
    document = json.loads(registry.latest("orders-value").text.schema)
    assert document["title"] == "com.example.Row"
    assert document["properties"]["small"] == {
        "type": "integer", "connect.type": "int8", "connect.index": 2,
    }  # fmt: skip
    schema, value = converter(JSON_SR, registry=registry).to_connect("orders", data)
    assert value == VALUE
    assert schema == ROW and parameters_of(schema) == parameters_of(ROW)
    with pytest.raises(DataError, match="Unknown magic byte"):
        c.to_connect("orders", b'{"id": 1}')
    with pytest.raises(DataError, match="serialization error"):
        c.to_connect("orders", data[:5] + b"{oops")


def test_json_schema_reads_required_lists_and_refs(registry):
    document = {
        "type": "object", "title": "Order",
        "properties": {
            "id": {"type": "integer"}, "note": {"type": ["string", "null"]},
            "item": {"$ref": "#/definitions/Item"},
        },
        "required": ["id", "item"],
        "definitions": {"Item": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    }  # fmt: skip
    schema_id = registry.register("o-value", SchemaText("JSON", json.dumps(document)))
    data = frame(schema_id, b'{"id": 5, "note": null, "item": {"sku": "x"}}')
    schema, value = converter(JSON_SR, registry=registry).to_connect("o", data)
    assert value == {"id": 5, "note": None, "item": {"sku": "x"}}
    assert [(f.name, f.schema.type, f.schema.optional) for f in schema.fields] == [
        ("id", "int64", False), ("note", "string", True), ("item", "struct", False),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- Confluent's clients


@pytest.fixture
def registry_server(tmp_path):
    store = SchemaStore.open(tmp_path / "served")
    server = RegistryServer(store)
    yield server, LocalRegistry(store)
    server.stop()
    store.close()


def test_avro_with_confluents_serializers(registry_server):
    server, local = registry_server
    client = SchemaRegistryClient({"url": server.url})
    schema = {
        "type": "record", "name": "User", "namespace": "io.example",
        "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": ["null", "int"]}],
    }  # fmt: skip
    context = SerializationContext("users", MessageField.VALUE)
    data = AvroSerializer(client, json.dumps(schema))({"name": "Ada", "age": 36}, context)
    connect, value = converter(AVRO, registry=local).to_connect("users", data)
    assert value == {"name": "Ada", "age": 36} and connect.name == "io.example.User"

    # Our converter through the registry's HTTP API, read by Confluent's deserializer.
    ours = converter(AVRO, schema_registry_url=server.url)
    written = ours.from_connect("users2", ROW, VALUE)
    read = AvroDeserializer(client)(written, SerializationContext("users2", MessageField.VALUE))
    assert read["price"] == Decimal("12.30") and read["by_id"] == [{"key": 7, "value": "seven"}]


def test_json_schema_with_confluents_serializers(registry_server):
    server, local = registry_server
    client = SchemaRegistryClient({"url": server.url})
    document = {
        "type": "object", "title": "User",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    }  # fmt: skip
    context = SerializationContext("people", MessageField.VALUE)
    data = JSONSerializer(json.dumps(document), client)({"name": "Ada", "age": 36}, context)
    connect, value = converter(JSON_SR, registry=local).to_connect("people", data)
    assert value == {"name": "Ada", "age": 36} and connect.name == "User"

    written = converter(JSON_SR, registry=local).from_connect("people2", ROW, VALUE)
    read = JSONDeserializer(None, schema_registry_client=client)(
        written, SerializationContext("people2", MessageField.VALUE)
    )
    assert read["name"] == "Ada" and read["by_id"] == [{"key": 7, "value": "seven"}]
