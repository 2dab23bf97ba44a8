"""Real clients on the Kafka backend: confluent-kafka's serializers, pointed at ksql-server's
built-in schema registry, write AVRO and JSON_SR records; a persistent query transforms them;
the matching deserializers read the output. SchemaRegistryClient drives the registry API."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest

pytest.importorskip("confluent_kafka.schema_registry")

from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

from ksql.conformance.rest_server import SERVER_PROPERTIES, ServerProcess, free_port

ORDER = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "ID", "type": "long"},
        {"name": "ITEM", "type": "string"},
        {"name": "PRICE", "type": {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 2}},
    ],
}  # fmt: skip
ORDER_JSON = {
    "type": "object",
    "properties": {"ID": {"type": "integer"}, "ITEM": {"type": "string"}},
}


@pytest.fixture(scope="module")
def server(broker):
    registry_port = free_port()
    properties = SERVER_PROPERTIES + (
        f"bootstrap.servers={broker.bootstrap}\n"
        f"ksql.service.id=sr{uuid.uuid4().hex[:8]}_\n"
        "ksql.kafka.topic.config.retention.ms=-1\n"
        f"ksql.schema.registry.listener=http://127.0.0.1:{registry_port}\n"
    )
    process = ServerProcess(properties=properties)
    process.registry_url = f"http://127.0.0.1:{registry_port}"
    try:
        yield process
    finally:
        process.stop()


def _ksql(server, sql: str) -> list:
    body = json.dumps({"ksql": sql, "streamsProperties": {}}).encode()
    request = urllib.request.Request(
        f"{server.url}/ksql", body, {"Content-Type": "application/vnd.ksql.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _consume(broker, topic: str, deserializer, n: int, timeout_s: float = 60.0) -> list:
    consumer = DeserializingConsumer({
        "bootstrap.servers": broker.bootstrap,
        "group.id": f"g{uuid.uuid4().hex}",
        "auto.offset.reset": "earliest",
        "key.deserializer": StringDeserializer(),
        "value.deserializer": deserializer,
    })  # fmt: skip
    consumer.subscribe([topic])
    out: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < n and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                out.append(message.value())
    finally:
        consumer.close()
    return out


def test_avro_serializer_query_and_deserializer(server, broker):
    client = SchemaRegistryClient({"url": f"{server.url}/schema-registry"})
    topic = f"orders{uuid.uuid4().hex[:6]}"
    producer = SerializingProducer({
        "bootstrap.servers": broker.bootstrap,
        "key.serializer": StringSerializer(),
        "value.serializer": AvroSerializer(client, json.dumps(ORDER)),
    })  # fmt: skip
    from decimal import Decimal

    for i in range(3):
        producer.produce(topic, key=str(i), value={"ID": i, "ITEM": f"item{i}", "PRICE": Decimal("1.25") * i})
    producer.flush()
    # No columns: ksql reads them from the subject the serializer registered.
    _ksql(server, f"CREATE STREAM orders WITH (kafka_topic='{topic}', value_format='AVRO');")
    out = f"{topic}_big"
    _ksql(server, f"CREATE STREAM big WITH (kafka_topic='{out}') AS "
                  "SELECT ID, UCASE(ITEM) AS ITEM, PRICE * 2 AS PRICE FROM orders WHERE ID > 0;")
    values = _consume(broker, out, AvroDeserializer(client), 2)
    assert values == [
        {"ID": 1, "ITEM": "ITEM1", "PRICE": Decimal("2.50")},
        {"ID": 2, "ITEM": "ITEM2", "PRICE": Decimal("5.00")},
    ]
    assert client.get_latest_version(f"{out}-value").schema.schema_type == "AVRO"


def test_json_schema_serializer_query_and_deserializer(server, broker):
    client = SchemaRegistryClient({"url": server.registry_url})  # the registry's own port
    topic = f"jorders{uuid.uuid4().hex[:6]}"
    producer = SerializingProducer({
        "bootstrap.servers": broker.bootstrap,
        "key.serializer": StringSerializer(),
        "value.serializer": JSONSerializer(json.dumps(ORDER_JSON), client),
    })  # fmt: skip
    for i in range(3):
        producer.produce(topic, key=str(i), value={"ID": i, "ITEM": f"item{i}"})
    producer.flush()
    _ksql(server, f"CREATE STREAM jorders WITH (kafka_topic='{topic}', value_format='JSON_SR');")
    out = f"{topic}_out"
    _ksql(server, f"CREATE STREAM jout WITH (kafka_topic='{out}') AS "
                  "SELECT ID * 10 AS ID, ITEM FROM jorders;")
    schema = client.get_latest_version(f"{out}-value").schema
    values = _consume(broker, out, JSONDeserializer(schema.schema_str), 3)
    assert sorted(v["ID"] for v in values) == [0, 10, 20]


def test_registry_client_drives_the_api(server):
    client = SchemaRegistryClient({"url": f"{server.url}/schema-registry"})
    subject = f"api{uuid.uuid4().hex[:6]}-value"
    first = Schema(json.dumps(ORDER), "AVRO")
    schema_id = client.register_schema(subject, first)
    assert json.loads(client.get_schema(schema_id).schema_str) == ORDER
    assert client.get_latest_version(subject).schema_id == schema_id
    widened = dict(ORDER, fields=ORDER["fields"] + [{"name": "NOTE", "type": ["null", "string"], "default": None}])
    assert client.test_compatibility(subject, Schema(json.dumps(widened), "AVRO"))
    narrowed = dict(ORDER, fields=ORDER["fields"] + [{"name": "MUST", "type": "string"}])
    assert not client.test_compatibility(subject, Schema(json.dumps(narrowed), "AVRO"))
    client.set_compatibility(subject, "NONE")
    assert client.get_compatibility(subject) == "NONE"
    assert client.delete_subject(subject) == [1]
    assert subject not in client.get_subjects()


def test_engine_with_an_external_registry(server, tmp_path):
    from ksql.engine import Engine

    properties = {"ksql.schema.registry.url": f"{server.url}/schema-registry"}
    with Engine(tmp_path, properties=properties) as engine:
        engine.execute(
            "CREATE STREAM ext (A INT) WITH (kafka_topic='ext', value_format='AVRO', partitions=1);"
            "CREATE STREAM ext_out AS SELECT A + 1 AS B FROM ext;"
        )
        engine.execute("INSERT INTO ext (A) VALUES (1);")
        engine.run_until_idle()
        assert len(engine.read_topic("EXT_OUT").to_pylist()) == 1
    client = SchemaRegistryClient({"url": server.registry_url})
    registered = json.loads(client.get_latest_version("EXT_OUT-value").schema.schema_str)
    assert [f["name"] for f in registered["fields"]] == ["B"]
