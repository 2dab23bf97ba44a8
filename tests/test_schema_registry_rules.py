"""Compatibility rules of the schema registry: Avro's schema resolution, JSON Schema, Protobuf."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ksql.schemas import avro, json_schema, protobuf
from ksql.schemas.compatibility import Previous, check
from ksql.schemas.kind import ParsedSchema


def parse_avro(schema: Any) -> ParsedSchema:
    return avro.KIND.parse(json.dumps(schema), ())


def avro_problems(reader: Any, writer: Any) -> list[str]:
    """Error types when `reader` reads data written with `writer`."""
    found = avro.KIND.incompatibilities(parse_avro(reader), parse_avro(writer), "new", "old")
    return [p.error_type for p in found]


def record(*fields: dict[str, Any], name: str = "R") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


def test_added_field_without_default_breaks_backward_not_forward() -> None:
    old = record({"name": "a", "type": "int"})
    new = record({"name": "a", "type": "int"}, {"name": "b", "type": "string"})
    assert avro_problems(reader=new, writer=old) == ["READER_FIELD_MISSING_DEFAULT_VALUE"]
    assert avro_problems(reader=old, writer=new) == []  # the old reader skips b
    with_default = record(
        {"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": ""}
    )
    assert avro_problems(reader=with_default, writer=old) == []


def test_removed_field_without_default_breaks_forward() -> None:
    old = record({"name": "a", "type": "int"}, {"name": "b", "type": "string"})
    new = record({"name": "a", "type": "int"})
    assert avro_problems(reader=new, writer=old) == []
    assert avro_problems(reader=old, writer=new) == ["READER_FIELD_MISSING_DEFAULT_VALUE"]


@pytest.mark.parametrize(
    ("writer", "reader", "ok"),
    [
        ("int", "long", True),
        ("int", "float", True),
        ("int", "double", True),
        ("long", "float", True),
        ("long", "double", True),
        ("float", "double", True),
        ("string", "bytes", True),
        ("bytes", "string", True),
        ("long", "int", False),
        ("double", "float", False),
        ("string", "int", False),
        ("boolean", "int", False),
        ("null", "string", False),
    ],
)
def test_primitive_promotions(writer: str, reader: str, ok: bool) -> None:
    problems = avro_problems(reader=reader, writer=writer)
    assert problems == ([] if ok else ["TYPE_MISMATCH"])


def test_field_type_change_reports_the_path() -> None:
    old = record({"name": "a", "type": "string"})
    new = record({"name": "a", "type": "int"})
    found = avro.KIND.incompatibilities(parse_avro(new), parse_avro(old), "new", "old")
    assert [p.error_type for p in found] == ["TYPE_MISMATCH"]
    assert "'/fields/0/type'" in found[0].description
    assert found[0].additional_info == "reader type: INT not compatible with writer type: STRING"


def test_unions() -> None:
    # Widening a field into a union that contains the old type is fine for the reader.
    assert avro_problems(reader=["null", "string"], writer="string") == []
    assert avro_problems(reader=["null", "long"], writer="int") == []
    # Narrowing: the writer may write null, which the reader cannot take.
    assert avro_problems(reader="string", writer=["null", "string"]) == ["TYPE_MISMATCH"]
    assert avro_problems(reader=["null", "int"], writer="string") == ["MISSING_UNION_BRANCH"]
    assert avro_problems(reader=["null", "string", "int"], writer=["string", "null"]) == []
    assert avro_problems(reader=["null", "string"], writer=["null", "string", "int"]) == [
        "MISSING_UNION_BRANCH"
    ]


def test_enum_symbols() -> None:
    def enum(*symbols: str, default: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "enum", "name": "Color", "symbols": list(symbols)}
        if default is not None:
            out["default"] = default
        return out

    assert avro_problems(reader=enum("R", "G", "B"), writer=enum("R", "G")) == []
    assert avro_problems(reader=enum("R", "G"), writer=enum("R", "G", "B")) == [
        "MISSING_ENUM_SYMBOLS"
    ]
    # A reader default symbol absorbs symbols it does not know.
    assert avro_problems(reader=enum("R", "G", default="R"), writer=enum("R", "G", "B")) == []


def test_records_match_by_name_or_alias() -> None:
    a = record({"name": "x", "type": "int"}, name="A")
    b = record({"name": "x", "type": "int"}, name="B")
    assert avro_problems(reader=b, writer=a) == ["NAME_MISMATCH"]
    aliased = {**b, "aliases": ["A"]}
    assert avro_problems(reader=aliased, writer=a) == []
    # Field aliases let a reader rename a field.
    renamed = record({"name": "y", "type": "int", "aliases": ["x"]}, name="A")
    assert avro_problems(reader=renamed, writer=a) == []


def test_arrays_maps_and_fixed() -> None:
    assert (
        avro_problems({"type": "array", "items": "long"}, {"type": "array", "items": "int"}) == []
    )
    assert avro_problems({"type": "array", "items": "int"}, {"type": "array", "items": "long"}) == [
        "TYPE_MISMATCH"
    ]
    assert avro_problems({"type": "map", "values": "string"}, {"type": "map", "values": "int"}) == [
        "TYPE_MISMATCH"
    ]
    assert avro_problems({"type": "array", "items": "int"}, {"type": "map", "values": "int"}) == [
        "TYPE_MISMATCH"
    ]
    f4 = {"type": "fixed", "name": "F", "size": 4}
    f8 = {"type": "fixed", "name": "F", "size": 8}
    assert avro_problems(f4, f4) == []
    assert avro_problems(f8, f4) == ["FIXED_SIZE_MISMATCH"]


def test_recursive_records_terminate() -> None:
    node = record(
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "Node"]},
        name="Node",
    )
    wider = record(
        {"name": "value", "type": "long"},
        {"name": "next", "type": ["null", "Node"]},
        name="Node",
    )
    assert avro_problems(reader=wider, writer=node) == []
    assert avro_problems(reader=node, writer=wider) == ["TYPE_MISMATCH"]


def test_invalid_avro_schemas_are_refused() -> None:
    for bad in [
        {"type": "record", "fields": []},
        {"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]},
        {"type": "enum", "name": "E", "symbols": ["a", "a"]},
        {"type": "fixed", "name": "F"},
        record({"name": "a", "type": "int", "default": "x"}),
        record({"name": "a", "type": "int"}, {"name": "a", "type": "long"}),
    ]:
        with pytest.raises(ValueError):
            parse_avro(bad)


def test_levels_pick_directions_and_versions() -> None:
    v1 = parse_avro(record({"name": "a", "type": "int"}))
    v2 = parse_avro(
        record({"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0})
    )
    v3 = parse_avro(record({"name": "b", "type": "int", "default": 0}))
    previous = [Previous(2, v2.canonical, v2), Previous(1, v1.canonical, v1)]
    # v3 drops a (no default): old readers of v1/v2 break (FORWARD); v3 can read both (BACKWARD).
    assert check("AVRO", "BACKWARD", v3, previous) == []
    assert check("AVRO", "BACKWARD_TRANSITIVE", v3, previous) == []
    forward = check("AVRO", "FORWARD", v3, previous)
    assert "{oldSchemaVersion: 2}" in forward and "{compatibility: 'FORWARD'}" in forward
    assert "'a'" in forward[0] and "in the old schema has no default value" in forward[0]
    assert check("AVRO", "FULL", v3, previous) != []
    assert check("AVRO", "NONE", v3, previous) == []
    # Transitive levels also reach versions before the latest.
    v4 = parse_avro(record({"name": "a", "type": "int"}, {"name": "c", "type": "int"}))
    only_v1_breaks = [Previous(3, v4.canonical, v4), Previous(1, v3.canonical, v3)]
    assert check("AVRO", "BACKWARD", v4, only_v1_breaks) == []
    transitive = check("AVRO", "BACKWARD_TRANSITIVE", v4, only_v1_breaks)
    assert "{oldSchemaVersion: 1}" in transitive


def json_problems(reader: Any, writer: Any) -> list[str]:
    def parse(doc: Any) -> ParsedSchema:
        return json_schema.KIND.parse(json.dumps(doc), ())

    found = json_schema.KIND.incompatibilities(parse(reader), parse(writer), "new", "old")
    return [p.error_type for p in found]


def test_json_schema_rules() -> None:
    closed = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    open_ = {"type": "object", "properties": {"a": {"type": "string"}}}
    plus_b = {**closed, "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    assert json_problems(reader=plus_b, writer=closed) == []
    assert json_problems(reader={**plus_b, "required": ["b"]}, writer=closed) == [
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    ]
    assert json_problems(reader={**open_, "properties": plus_b["properties"]}, writer=open_) == [
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    ]
    assert json_problems(reader=closed, writer=plus_b) == [
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    ]
    assert json_problems(reader=open_, writer=plus_b) == []
    assert json_problems(reader=closed, writer=open_) == ["ADDITIONAL_PROPERTIES_REMOVED"]
    narrowed = {**closed, "properties": {"a": {"type": "integer"}}}
    assert json_problems(reader=narrowed, writer=closed) == ["TYPE_NARROWED"]
    assert json_problems(reader={"type": "number"}, writer={"type": "integer"}) == []
    assert json_problems(reader={**closed, "required": ["a"]}, writer=closed) == [
        "REQUIRED_ATTRIBUTE_ADDED"
    ]
    assert json_problems(reader={"enum": ["x"]}, writer={"enum": ["x", "y"]}) == [
        "ENUM_ARRAY_NARROWED"
    ]
    assert json_problems(
        reader={"type": "string", "maxLength": 5}, writer={"type": "string", "maxLength": 10}
    ) == ["MAX_LENGTH_DECREASED"]
    with pytest.raises(ValueError):
        json_schema.KIND.parse('{"type": "strung"}', ())


PROTO = """
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";

// An order.
message Order {
  string id = 1;
  int32 quantity = 2;
  Item item = 3;
  map<string, string> tags = 4;
  oneof payment { string card = 5; string iban = 6; }
  message Item { string sku = 1; }
  enum State { NEW = 0; PAID = 1; }
  State state = 7;
  reserved 9, 10;
}
"""


def proto_problems(reader: str, writer: str) -> list[str]:
    found = protobuf.KIND.incompatibilities(
        protobuf.KIND.parse(reader, ()), protobuf.KIND.parse(writer, ()), "new", "old"
    )
    return [p.error_type for p in found]


def test_protobuf_rules() -> None:
    assert proto_problems(PROTO, PROTO) == []
    added = PROTO.replace("State state = 7;", "State state = 7;\n  string note = 8;")
    assert proto_problems(added, PROTO) == []
    assert proto_problems(PROTO, added) == []  # removing an optional field is fine
    # int32 -> int64 is wire compatible, int32 -> string is not.
    assert proto_problems(PROTO.replace("int32 quantity", "int64 quantity"), PROTO) == []
    assert proto_problems(PROTO.replace("int32 quantity", "string quantity"), PROTO) == [
        "FIELD_SCALAR_KIND_CHANGED"
    ]
    assert proto_problems(PROTO.replace("string id = 1", "repeated string id = 1"), PROTO) == [
        "FIELD_KIND_CHANGED"
    ]
    assert proto_problems(PROTO.replace("Item item = 3", "State item = 3"), PROTO) == [
        "FIELD_KIND_CHANGED"
    ]
    assert proto_problems(PROTO.replace("message Order", "message Purchase"), PROTO) == [
        "MESSAGE_REMOVED",
        "MESSAGE_REMOVED",
    ]
    assert proto_problems(PROTO.replace("package shop", "package store"), PROTO) == [
        "PACKAGE_CHANGED"
    ]
    moved = PROTO.replace("string id = 1;", "").replace(
        "string iban = 6;", "string iban = 6; string id = 1;"
    )
    assert proto_problems(moved, PROTO) == ["FIELD_MOVED_TO_EXISTING_ONEOF"]
    proto2 = 'syntax = "proto2"; message M { optional string a = 1; }'
    required = 'syntax = "proto2"; message M { optional string a = 1; required int32 b = 2; }'
    assert proto_problems(required, proto2) == ["REQUIRED_FIELD_ADDED"]
    for bad in [
        "message {",
        "message M { string a = 0; }",
        "message M { string a = 1; int32 b = 1; }",
    ]:
        with pytest.raises(ValueError):
            protobuf.KIND.parse(bad, ())


def test_protobuf_serialized_descriptor_matches_the_text_model() -> None:
    import base64

    from google.protobuf import descriptor_pb2

    fdp = descriptor_pb2.FileDescriptorProto(name="order.proto", package="shop", syntax="proto3")
    msg = fdp.message_type.add(name="Order")
    msg.field.add(name="id", number=1, type=9, label=1)  # TYPE_STRING, LABEL_OPTIONAL
    msg.field.add(name="quantity", number=2, type=5, label=1)  # TYPE_INT32
    b64 = base64.b64encode(fdp.SerializeToString()).decode()
    text = 'syntax = "proto3"; package shop; message Order { string id = 1; int32 quantity = 2; }'
    assert proto_problems(b64, text) == []
    assert proto_problems(text.replace("int32 quantity", "bytes quantity"), b64) == [
        "FIELD_SCALAR_KIND_CHANGED"
    ]


def test_a_named_type_used_twice_is_reported_at_each_path() -> None:
    inner = {"type": "record", "name": "Inner", "fields": [{"name": "v", "type": "string"}]}
    old = record({"name": "a", "type": inner}, {"name": "b", "type": "Inner"})
    changed = {**inner, "fields": [{"name": "v", "type": "int"}]}
    new = record({"name": "a", "type": changed}, {"name": "b", "type": "Inner"})
    found = avro.KIND.incompatibilities(parse_avro(new), parse_avro(old), "new", "old")
    assert [p.description.split("'")[1] for p in found] == [
        "/fields/0/type/fields/0/type",
        "/fields/1/type/fields/0/type",
    ]
