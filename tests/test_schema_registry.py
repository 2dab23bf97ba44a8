"""The schema registry over HTTP, driven by Confluent's own SchemaRegistryClient and serializer."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastapi import FastAPI
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from hypercorn.asyncio import serve
from hypercorn.config import Config

from ksql.schemas.rest import registry_router, serve_registry
from ksql.schemas.store import SchemaStore

USER_V1 = {
    "type": "record",
    "name": "User",
    "namespace": "io.example",
    "fields": [{"name": "name", "type": "string"}],
}
USER_V2 = {**USER_V1, "fields": [*USER_V1["fields"], {"name": "age", "type": "int", "default": 0}]}
USER_NO_DEFAULT = {**USER_V1, "fields": [*USER_V1["fields"], {"name": "age", "type": "int"}]}


def avro(schema: dict, references: list[SchemaReference] | None = None) -> Schema:
    return Schema(json.dumps(schema), "AVRO", references or [])


class RegistryServer:
    """The registry app on Hypercorn on a free loopback port, in a background thread."""

    def __init__(
        self, store: SchemaStore, users: list[str] | None = None, app: FastAPI | None = None
    ) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        if app is None:
            serving = serve_registry(store, "127.0.0.1", self.port, users, self._stop.wait)
        else:
            config = Config()
            config.bind = [f"127.0.0.1:{self.port}"]
            serving = serve(app, config, shutdown_trigger=self._stop.wait)
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(serving,), daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SchemaStore]:
    s = SchemaStore.open(tmp_path / "schemas")
    yield s
    s.close()


@pytest.fixture
def server(store: SchemaStore) -> Iterator[RegistryServer]:
    srv = RegistryServer(store)
    yield srv
    srv.stop()


def client(server: RegistryServer, **conf: object) -> SchemaRegistryClient:
    # A fresh client per check: the client caches ids and versions, the checks are the server's.
    return SchemaRegistryClient({"url": server.url, "max.retries": 0, **conf})


def test_register_get_latest_by_id_and_lookup(server: RegistryServer) -> None:
    sr = client(server)
    schema_id = sr.register_schema("users-value", avro(USER_V1))
    assert schema_id == 1
    # The same schema under another subject gets the same global id.
    assert client(server).register_schema("people-value", avro(USER_V1)) == schema_id
    v2_id = client(server).register_schema("users-value", avro(USER_V2))
    assert v2_id == 2

    latest = client(server).get_latest_version("users-value")
    assert (latest.schema_id, latest.version, latest.subject) == (2, 2, "users-value")
    assert json.loads(latest.schema.schema_str) == USER_V2

    fetched = client(server).get_schema(1)
    assert json.loads(fetched.schema_str) == USER_V1 and fetched.schema_type == "AVRO"

    # Re-registering an identical schema (even reformatted) returns its id and version.
    again = client(server).register_schema_full_response(
        "users-value", Schema(json.dumps(USER_V1, indent=4), "AVRO")
    )
    assert (again.schema_id, again.version) == (1, 1)

    found = client(server).lookup_schema("users-value", avro(USER_V2))
    assert (found.schema_id, found.version) == (2, 2)
    with pytest.raises(SchemaRegistryError) as e:
        client(server).lookup_schema("users-value", avro({**USER_V1, "name": "Other"}))
    assert (e.value.http_status_code, e.value.error_code) == (404, 40403)

    assert client(server).get_subjects() == ["people-value", "users-value"]
    assert client(server).get_versions("users-value") == [1, 2]
    assert client(server).get_version("users-value", 1).schema_id == 1
    assert client(server).get_subjects_by_schema_id(1) == ["people-value", "users-value"]
    versions = client(server).get_schema_versions(1)
    assert sorted((v.subject, v.version) for v in versions) == [
        ("people-value", 1),
        ("users-value", 1),
    ]
    assert sorted(client(server).get_schema_types()) == ["AVRO", "JSON", "PROTOBUF"]


def test_not_found_errors_carry_confluent_codes(server: RegistryServer) -> None:
    sr = client(server)
    sr.register_schema("s", avro(USER_V1))
    cases = [
        (lambda: client(server).get_latest_version("missing"), 404, 40401),
        (lambda: client(server).get_version("s", 7), 404, 40402),
        (lambda: client(server).get_schema(99), 404, 40403),
        (lambda: client(server).get_version("s", 0), 422, 42202),
    ]
    for call, status, code in cases:
        with pytest.raises(SchemaRegistryError) as e:
            call()
        assert (e.value.http_status_code, e.value.error_code) == (status, code)


def test_invalid_avro_is_422_42201(server: RegistryServer) -> None:
    for bad in ('{"type": "record", "fields": []}', '{"type": "nope"}', "{not json"):
        with pytest.raises(SchemaRegistryError) as e:
            client(server).register_schema("bad", Schema(bad, "AVRO"))
        assert (e.value.http_status_code, e.value.error_code) == (422, 42201), bad
    assert client(server).get_subjects() == []


def test_compatibility_checks_and_incompatible_registration(server: RegistryServer) -> None:
    client(server).register_schema("users-value", avro(USER_V1))
    assert client(server).test_compatibility("users-value", avro(USER_V2)) is True
    assert client(server).test_compatibility("users-value", avro(USER_NO_DEFAULT)) is False
    assert client(server).test_compatibility_all_versions("users-value", avro(USER_V2)) is True

    # verbose=true explains why, in Confluent's message shape.
    response = httpx.post(
        f"{server.url}/compatibility/subjects/users-value/versions/latest?verbose=true",
        json={"schema": json.dumps(USER_NO_DEFAULT)},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    body = response.json()
    assert body["is_compatible"] is False
    assert body["messages"][0].startswith("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'")
    assert "'age'" in body["messages"][0]
    assert "{oldSchemaVersion: 1}" in body["messages"]
    assert "{compatibility: 'BACKWARD'}" in body["messages"]

    with pytest.raises(SchemaRegistryError) as e:
        client(server).register_schema("users-value", avro(USER_NO_DEFAULT))
    assert (e.value.http_status_code, e.value.error_code) == (409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in e.value.error_message
    assert 'incompatible with an earlier schema for subject "users-value"' in e.value.error_message
    assert client(server).get_versions("users-value") == [1]


def test_config_per_subject_and_global(server: RegistryServer) -> None:
    sr = client(server)
    assert sr.get_compatibility() == "BACKWARD"
    sr.register_schema("users-value", avro(USER_V1))
    with pytest.raises(SchemaRegistryError) as e:
        sr.get_compatibility("users-value")
    assert e.value.error_code == 40408
    default = httpx.get(f"{server.url}/config/users-value?defaultToGlobal=true").json()
    assert default == {"compatibilityLevel": "BACKWARD"}

    assert sr.set_compatibility("users-value", "NONE") == {"compatibility": "NONE"}
    assert sr.get_compatibility("users-value") == "NONE"
    # NONE lets the otherwise incompatible change through.
    assert client(server).register_schema("users-value", avro(USER_NO_DEFAULT)) == 2

    assert sr.set_compatibility(level="FULL_TRANSITIVE") == {"compatibility": "FULL_TRANSITIVE"}
    assert sr.get_compatibility() == "FULL_TRANSITIVE"
    assert sr.get_compatibility("users-value") == "NONE"
    with pytest.raises(SchemaRegistryError) as e:
        sr.set_compatibility(level="SIDEWAYS")
    assert (e.value.http_status_code, e.value.error_code) == (422, 42203)

    assert sr.delete_config("users-value").compatibility_level.value == "NONE"
    assert httpx.get(f"{server.url}/config/users-value?defaultToGlobal=true").json() == {
        "compatibilityLevel": "FULL_TRANSITIVE"
    }
    assert sr.delete_config().compatibility_level.value == "FULL_TRANSITIVE"
    assert sr.get_compatibility() == "BACKWARD"


def test_soft_and_hard_delete(server: RegistryServer) -> None:
    client(server).register_schema("users-value", avro(USER_V1))
    client(server).register_schema("users-value", avro(USER_V2))

    # A hard delete needs a soft delete first.
    with pytest.raises(SchemaRegistryError) as e:
        client(server).delete_version("users-value", 1, permanent=True)
    assert e.value.error_code == 40407
    assert client(server).delete_version("users-value", 1) == 1
    with pytest.raises(SchemaRegistryError) as e:
        client(server).delete_version("users-value", 1)
    assert e.value.error_code == 40406
    assert client(server).get_versions("users-value") == [2]
    hidden = httpx.get(f"{server.url}/subjects/users-value/versions/1")
    assert hidden.json()["error_code"] == 40402
    shown = httpx.get(f"{server.url}/subjects/users-value/versions/1?deleted=true").json()
    assert shown["version"] == 1 and shown["id"] == 1
    assert httpx.get(f"{server.url}/subjects/users-value/versions?deleted=true").json() == [1, 2]
    # A soft-deleted schema's id still resolves, so old records stay readable.
    assert json.loads(client(server).get_schema(1).schema_str) == USER_V1
    assert client(server).delete_version("users-value", 1, permanent=True) == 1

    with pytest.raises(SchemaRegistryError) as e:
        client(server).delete_subject("users-value", permanent=True)
    assert e.value.error_code == 40405
    assert client(server).delete_subject("users-value") == [2]
    assert client(server).get_subjects() == []
    assert httpx.get(f"{server.url}/subjects?deleted=true").json() == ["users-value"]
    with pytest.raises(SchemaRegistryError) as e:
        client(server).delete_subject("users-value")
    assert e.value.error_code == 40404
    assert client(server).delete_subject("users-value", permanent=True) == [2]
    assert httpx.get(f"{server.url}/subjects?deleted=true").json() == []
    with pytest.raises(SchemaRegistryError) as e:
        client(server).get_schema(1)
    assert e.value.error_code == 40403

    # Re-registering after a soft delete makes a new version with the same id.
    client(server).register_schema("again", avro(USER_V1))
    client(server).delete_subject("again")
    registered = client(server).register_schema_full_response("again", avro(USER_V1))
    assert (registered.schema_id, registered.version) == (3, 2)


def test_avro_reference_to_another_registered_schema(server: RegistryServer) -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "io.example",
        "fields": [{"name": "street", "type": "string"}],
    }
    customer = {
        "type": "record",
        "name": "Customer",
        "namespace": "io.example",
        "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "Address"}],
    }
    address_id = client(server).register_schema("address", avro(address))
    ref = SchemaReference("io.example.Address", "address", 1)
    customer_id = client(server).register_schema("customer-value", avro(customer, [ref]))
    assert customer_id != address_id

    fetched = client(server).get_schema(customer_id)
    assert [(r.name, r.subject, r.version) for r in fetched.references] == [
        ("io.example.Address", "address", 1)
    ]
    assert client(server).get_referenced_by("address", 1) == [customer_id]
    # Without the reference the name is unknown: an invalid schema.
    with pytest.raises(SchemaRegistryError) as e:
        client(server).register_schema("customer-value", avro(customer))
    assert e.value.error_code == 42201
    # A referenced version cannot be deleted.
    with pytest.raises(SchemaRegistryError) as e:
        client(server).delete_version("address", 1)
    assert e.value.error_code == 42206

    # Compatibility follows into the referenced type.
    evolved = {**customer, "fields": [*customer["fields"], {"name": "vip", "type": "boolean"}]}
    assert client(server).test_compatibility("customer-value", avro(evolved, [ref])) is False


def test_modes(server: RegistryServer) -> None:
    sr = client(server)
    assert sr.get_global_mode() == "READWRITE"
    sr.register_schema("users-value", avro(USER_V1))
    assert sr.update_mode("users-value", "READONLY") == "READONLY"
    assert sr.get_mode("users-value") == "READONLY"
    with pytest.raises(SchemaRegistryError) as e:
        client(server).register_schema("users-value", avro(USER_V2))
    assert (e.value.http_status_code, e.value.error_code) == (422, 42205)
    with pytest.raises(SchemaRegistryError) as e:
        client(server).delete_version("users-value", 1)
    assert e.value.error_code == 42205
    assert client(server).register_schema("others", avro(USER_V2)) == 2
    assert sr.delete_mode("users-value") == "READONLY"
    assert client(server).register_schema("users-value", avro(USER_V2)) == 2

    # IMPORT takes the ids it is given; it needs an empty registry unless forced.
    with pytest.raises(SchemaRegistryError) as e:
        sr.update_global_mode("IMPORT")
    assert e.value.error_code == 42205
    assert sr.update_global_mode("IMPORT", force=True) == "IMPORT"
    imported = httpx.post(
        f"{server.url}/subjects/imported/versions",
        json={"schema": json.dumps({**USER_V1, "name": "Imported"}), "id": 42, "version": 7},
    )
    assert imported.json()["id"] == 42 and imported.json()["version"] == 7
    assert client(server).get_version("imported", 7).schema_id == 42
    with pytest.raises(SchemaRegistryError) as e:
        sr.update_global_mode("SOMETIMES")
    assert e.value.error_code == 42204


def test_json_and_protobuf_schema_types(server: RegistryServer) -> None:
    person = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "additionalProperties": False,
    }
    assert client(server).register_schema("person-json", Schema(json.dumps(person), "JSON")) == 1
    narrowed = {**person, "properties": {"name": {"type": "integer"}}}
    assert (
        client(server).test_compatibility("person-json", Schema(json.dumps(narrowed), "JSON"))
        is False
    )
    latest = client(server).get_latest_version("person-json")
    assert latest.schema.schema_type == "JSON"

    proto = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  string id = 1;\n}\n'
    assert client(server).register_schema("order-proto", Schema(proto, "PROTOBUF")) == 2
    changed = proto.replace("string id = 1;", "repeated string id = 1;")
    assert client(server).test_compatibility("order-proto", Schema(changed, "PROTOBUF")) is False
    added = proto.replace("string id = 1;", "string id = 1;\n  int64 total = 2;")
    assert client(server).register_schema("order-proto", Schema(added, "PROTOBUF")) == 3
    with pytest.raises(SchemaRegistryError) as e:
        client(server).register_schema("bad-proto", Schema("message {", "PROTOBUF"))
    assert e.value.error_code == 42201


def test_avro_serializer_auto_registers_and_writes_the_registry_id(
    server: RegistryServer,
) -> None:
    sr = client(server)
    client(server).register_schema("unrelated", avro({**USER_V1, "name": "Unrelated"}))
    serializer = AvroSerializer(sr, json.dumps(USER_V2))
    payload = serializer(
        {"name": "ada", "age": 36}, SerializationContext("users", MessageField.VALUE)
    )
    magic, schema_id = struct.unpack(">bI", payload[:5])
    assert magic == 0
    latest = client(server).get_latest_version("users-value")
    assert schema_id == latest.schema_id == 2
    assert json.loads(latest.schema.schema_str) == USER_V2


def test_raw_schema_routes_and_unknown_paths(server: RegistryServer) -> None:
    client(server).register_schema("users-value", avro(USER_V1))
    assert httpx.get(f"{server.url}/").json() == {}
    assert json.loads(httpx.get(f"{server.url}/schemas/ids/1/schema").text) == USER_V1
    raw = httpx.get(f"{server.url}/subjects/users-value/versions/latest/schema")
    assert json.loads(raw.text) == USER_V1
    missing = httpx.get(f"{server.url}/no/such/route")
    assert missing.status_code == 404 and missing.json()["error_code"] == 404


def test_basic_auth(store: SchemaStore) -> None:
    srv = RegistryServer(store, users=["alice:s3cret"])
    try:
        denied = httpx.get(f"{srv.url}/subjects")
        assert denied.status_code == 401
        assert denied.json() == {"error_code": 401, "message": "Unauthorized"}
        assert denied.headers["www-authenticate"].startswith("Basic")
        with pytest.raises(SchemaRegistryError) as e:
            client(srv, **{"basic.auth.user.info": "alice:wrong"}).get_subjects()
        assert e.value.http_status_code == 401
        ok = client(srv, **{"basic.auth.user.info": "alice:s3cret"})
        assert ok.register_schema("users-value", avro(USER_V1)) == 1
        assert ok.get_subjects() == ["users-value"]
    finally:
        srv.stop()


def test_protobuf_serializer_registers_a_serialized_descriptor(server: RegistryServer) -> None:
    fdp = descriptor_pb2.FileDescriptorProto(name="shop/order.proto", package="shop")
    fdp.syntax = "proto3"
    order = fdp.message_type.add(name="Order")
    order.field.add(name="id", number=1, type=9, label=1)  # string
    order.field.add(name="quantity", number=2, type=5, label=1)  # int32
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    message = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))

    serializer = ProtobufSerializer(message, client(server), {"use.deprecated.format": False})
    payload = serializer(
        message(id="o-1", quantity=3), SerializationContext("orders", MessageField.VALUE)
    )
    magic, schema_id = struct.unpack(">bI", payload[:5])
    latest = client(server).get_latest_version("orders-value")
    assert (magic, schema_id) == (0, latest.schema_id)
    assert latest.schema.schema_type == "PROTOBUF"
    # The text form of the same message is judged against the serialized one.
    changed = (
        'syntax = "proto3"; package shop; message Order { string id = 1; string quantity = 2; }'
    )
    assert client(server).test_compatibility("orders-value", Schema(changed, "PROTOBUF")) is False


def test_router_under_a_path_prefix_of_another_app(store: SchemaStore) -> None:
    """How ksql-server can also serve the registry on its own port, beside its own routes."""
    app = FastAPI()

    @app.get("/info")
    async def info() -> dict[str, str]:
        return {"server": "ksql"}

    app.include_router(registry_router(store, users=["bob:pw"]), prefix="/schema-registry")
    srv = RegistryServer(store, app=app)
    try:
        prefixed = SchemaRegistryClient(
            {"url": f"{srv.url}/schema-registry", "basic.auth.user.info": "bob:pw"}
        )
        assert prefixed.register_schema("users-value", avro(USER_V1)) == 1
        assert prefixed.get_latest_version("users-value").version == 1
        assert httpx.get(f"{srv.url}/schema-registry/subjects").status_code == 401
        assert httpx.get(f"{srv.url}/info").json() == {"server": "ksql"}
    finally:
        srv.stop()
