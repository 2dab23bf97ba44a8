"""AVRO and JSON_SR through the engine and its built-in schema registry: the wire format, the
type mapping, sink registration (and refusal), inference, and bad records."""

from __future__ import annotations

import io
import json
import struct
from decimal import Decimal

import pyarrow as pa
import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from ksql.engine import Engine
from ksql.errors import KsqlError
from ksql.formats.avro_schema import avro_schema
from ksql.formats.base import get_format
from ksql.schemas.client import LocalRegistry
from ksql.schemas.model import SchemaText
from ksql.types import INTEGER, STRING, DecimalType, MapType, StructField, StructType


@pytest.fixture
def engine(tmp_path):
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as e:
        yield e


def _rows(engine, sql: str) -> list:
    return list(engine.execute(sql)[0].rows)


def _framed(registry, subject: str, schema, datum) -> bytes:
    schema_id = registry.register(subject, SchemaText("AVRO", json.dumps(schema)))
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(schema), datum)
    return struct.pack(">bI", 0, schema_id) + buffer.getvalue()


def test_generated_schema_follows_ksqldb_naming():
    columns = [("A", INTEGER), ("S", StructType((StructField("X", STRING),)))]
    schema = avro_schema(columns, unwrapped=False)
    assert schema["name"] == "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema"
    assert schema["fields"][0] == {"name": "A", "type": ["null", "int"], "default": None}
    nested = schema["fields"][1]["type"][1]
    assert nested["name"] == "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema_S"
    assert avro_schema([("D", DecimalType(4, 2))], unwrapped=True) == {
        "type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2,
    }  # fmt: skip


def test_query_writes_confluent_wire_format_and_registers(engine):
    engine.execute(
        "CREATE STREAM S (K STRING KEY, A INT, D DECIMAL(4,2), M MAP<STRING, INT>) WITH ("
        "kafka_topic='s', format='AVRO', partitions=1);"
        "CREATE STREAM O AS SELECT K, A * 2 AS A2, D, M FROM S;"
    )
    store = engine.schema_registry().store
    assert store.subjects() == ["O-key", "O-value"]  # the sink registers at its creation
    engine.execute("INSERT INTO S (K, A, D, M) VALUES ('k', 21, 1.5, MAP('x' := 1));")
    engine.run_until_idle()
    record = engine.read_topic("O").to_pylist()[0]
    magic, schema_id = struct.unpack(">bI", record["value"][:5])
    assert magic == 0
    assert schema_id == store.get_version("O-value", "latest").id
    writer = parse_schema(json.loads(store.schema_by_id(schema_id).schema))
    datum = schemaless_reader(io.BytesIO(record["value"][5:]), writer, None)
    assert datum == {"A2": 42, "D": Decimal("1.50"), "M": {"x": 1}}
    assert _rows(engine, "SELECT * FROM O EMIT CHANGES LIMIT 1;") == [
        ["k", 42, Decimal("1.50"), [("x", 1)]]
    ]


def test_incompatible_sink_schema_fails_the_statement(engine):
    engine.execute("CREATE STREAM S (A INT) WITH (kafka_topic='s', value_format='AVRO', partitions=1);")
    registry = engine.schema_registry()
    registry.register("out-value", SchemaText("AVRO", json.dumps(
        {"type": "record", "name": "X", "fields": [{"name": "B", "type": "string"}]}
    )))  # fmt: skip
    with pytest.raises(KsqlError, match="incompatible"):
        engine.execute("CREATE STREAM O WITH (kafka_topic='out') AS SELECT A FROM S;")
    assert engine.source("O") is None


def test_inference_reads_columns_from_the_latest_schema(engine):
    schema = {
        "type": "record", "name": "r", "fields": [
            {"name": "id", "type": "long"},
            {"name": "suit", "type": {"type": "enum", "name": "Suit", "symbols": ["A", "B"]}},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }  # fmt: skip
    engine.create_topic("cards")
    value = _framed(engine.schema_registry(), "cards-value", schema, {"id": 7, "suit": "B", "ts": 5})
    engine.produce("cards", None, value, 0)
    engine.execute("CREATE STREAM C WITH (kafka_topic='cards', value_format='AVRO');")
    assert [(c.name, str(c.type)) for c in engine.source("C").columns] == [
        ("ID", "BIGINT"), ("SUIT", "STRING"), ("TS", "TIMESTAMP"),
    ]  # fmt: skip
    rows = _rows(engine, "SELECT ID, SUIT, UNIX_TIMESTAMP(TS) FROM C EMIT CHANGES LIMIT 1;")
    assert rows == [[7, "B", 5]]


def test_inference_without_a_schema_says_so(engine):
    engine.create_topic("none")
    with pytest.raises(KsqlError, match="does not exist in the Schema Registry"):
        engine.execute("CREATE STREAM N WITH (kafka_topic='none', value_format='AVRO');")


def test_bad_record_goes_to_the_processing_log(engine):
    engine.execute("CREATE STREAM S (A INT) WITH (kafka_topic='s', value_format='AVRO', partitions=1);")
    engine.execute("CREATE STREAM O AS SELECT A FROM S;")
    engine.produce("s", None, b"not avro", 0)
    engine.execute("INSERT INTO S (A) VALUES (3);")
    engine.run_until_idle()
    fmt = get_format("AVRO", registry=engine.schema_registry(), topic="O")
    values = [fmt.from_bytes(r["value"], [("A", INTEGER)], wrap_single=None)
              for r in engine.read_topic("O").to_pylist()]
    assert values == [{"A": 3}]
    assert sum(engine.processing_log.counts.values()) == 1


def test_avro_decode_coerces_as_ksqldb(tmp_path):
    registry = LocalRegistry.open(tmp_path)
    fmt = get_format("AVRO", registry=registry, topic="t")
    schema = {"type": "record", "name": "r", "fields": [
        {"name": "n", "type": "int"}, {"name": "m", "type": {"type": "map", "values": "long"}},
    ]}  # fmt: skip
    raw = _framed(registry, "t-value", schema, {"n": 10, "m": {"a": 1}})
    columns = [("N", STRING), ("M", MapType(STRING, INTEGER))]
    result = fmt.decode(pa.array([raw, None], pa.binary()), columns, wrap_single=None)
    assert result.errors is None
    assert result.table.to_pylist() == [{"N": "10", "M": [("a", 1)]}, {"N": None, "M": None}]


def test_json_sr_round_trip(engine):
    engine.execute(
        "CREATE STREAM S (A INT, B STRING) WITH (kafka_topic='s', value_format='JSON_SR', "
        "partitions=1); CREATE STREAM O AS SELECT A + 1 AS A1, B FROM S;"
    )
    engine.execute("INSERT INTO S (A, B) VALUES (1, 'x');")
    engine.run_until_idle()
    value = engine.read_topic("O").to_pylist()[0]["value"]
    registered = engine.schema_registry().store.get_version("O-value", "latest")
    assert value[:5] == struct.pack(">bI", 0, registered.id)
    assert json.loads(value[5:]) == {"A1": 2, "B": "x"}
    assert registered.text.schema_type == "JSON"
    engine.execute("CREATE STREAM I WITH (kafka_topic='O', value_format='JSON_SR');")
    assert [c.name for c in engine.source("I").value_columns] == ["A1", "B"]
