"""ExtractNewRecordState: Debezium change events flattened to row states, with and without
schemas: tombstones, the three delete handling modes, added fields and headers."""

from __future__ import annotations

import pytest

from ksql.connect import api
from ksql.connect.api import ConfigError, SourceRecord
from ksql.connect.debezium.envelope import TableSchema
from ksql.connect.debezium.extract_new_record_state import ExtractNewRecordState
from ksql.connect.debezium.pg_types import TypeMapper, TypeModes

MAPPER = TypeMapper(TypeModes(), lambda oid: None)
TABLE = TableSchema(
    "srv", "public", "users",
    [("id", MAPPER.column_type(23, -1), False), ("name", MAPPER.column_type(25, -1), True)],
    ["id"], "__placeholder",
)  # fmt: skip


def event(op, before=None, after=None, *, schema=True):
    source = {
        "version": "2.5.0.Final", "connector": "postgresql", "name": "srv", "ts_ms": 1000,
        "snapshot": "false", "db": "shop", "sequence": None, "schema": "public",
        "table": "users", "txId": 7, "lsn": 123, "xmin": None,
    }  # fmt: skip
    value = {"before": before, "after": after, "source": source, "op": op, "ts_ms": 2000,
             "transaction": None}  # fmt: skip
    return SourceRecord(
        TABLE.topic, {"id": (after or before)["id"]}, value, TABLE.key_schema,
        TABLE.envelope_schema if schema else None,
    )  # fmt: skip


def smt(**config):
    transform = ExtractNewRecordState()
    transform.configure({k.replace("_", "."): v for k, v in config.items()})
    return transform


ANN = {"id": 1, "name": "ann"}


@pytest.mark.parametrize("schema", [True, False])
def test_create_update_and_read_become_the_after_state(schema):
    transform = smt()
    for op in ("c", "u", "r"):
        out = transform.apply(event(op, after=ANN, schema=schema))
        assert out.value == ANN and out.key == {"id": 1}
        if schema:
            assert out.value_schema is TABLE.value_schema
        else:
            assert out.value_schema is None


def test_tombstones_are_dropped_unless_asked_to_keep_them():
    tombstone = SourceRecord(TABLE.topic, {"id": 1}, None, TABLE.key_schema, None)
    assert smt().apply(tombstone) is None
    assert smt(drop_tombstones="false").apply(tombstone) is tombstone


def test_delete_handling_modes():
    delete = event("d", before=ANN)
    assert smt().apply(delete) is None
    kept = smt(delete_handling_mode="none").apply(delete)
    assert kept.value is None and kept.key == {"id": 1}
    rewritten = smt(delete_handling_mode="rewrite").apply(delete)
    assert rewritten.value == {**ANN, "__deleted": "true"}
    fields = [(f.name, f.schema.type) for f in rewritten.value_schema.fields]
    assert fields == [("id", "int32"), ("name", "string"), ("__deleted", "string")]
    assert rewritten.value_schema.name == "srv.public.users.Value"
    created = smt(delete_handling_mode="rewrite").apply(event("c", after=ANN, schema=False))
    assert created.value == {**ANN, "__deleted": "false"}


def test_added_fields_take_envelope_source_and_renamed_fields():
    transform = smt(add_fields="op,table,lsn,source.ts_ms,ts_ms,db:database")
    out = transform.apply(event("u", after=ANN))
    assert out.value == {
        **ANN, "__op": "u", "__table": "users", "__lsn": 123, "__source_ts_ms": 1000,
        "__ts_ms": 2000, "database": "shop",
    }  # fmt: skip
    schema = {f.name: f.schema for f in out.value_schema.fields}
    assert (schema["__op"].type, schema["__lsn"].type) == (api.STRING, api.INT64)
    assert all(schema[name].optional for name in ("__op", "__lsn", "database"))
    prefixed = smt(add_fields="op", add_fields_prefix="cdc_").apply(event("c", after=ANN))
    assert prefixed.value["cdc_op"] == "c"


def test_added_headers():
    out = smt(add_headers="op,lsn,xmin").apply(event("c", after=ANN, schema=False))
    assert out.headers == [("__op", b"c"), ("__lsn", b"123"), ("__xmin", None)]
    assert out.value == ANN


def test_records_that_are_not_envelopes_pass_unchanged():
    plain = SourceRecord("t", None, {"id": 1})
    assert smt().apply(plain) is plain
    truncate = event("t", after=None, before={"id": 0})
    truncate.value["before"] = None
    assert smt(delete_handling_mode="rewrite").apply(truncate) is None


def test_bad_configuration():
    with pytest.raises(ConfigError, match="delete.handling.mode"):
        smt(delete_handling_mode="explode")
    with pytest.raises(ConfigError, match="add.fields"):
        smt(add_fields="a.b.c")
