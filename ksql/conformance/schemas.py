"""Registering a case's topic schemas before it runs, as ksqlDB's harness does.

`topics[].keySchema` / `valueSchema` go under `<topic>-key` / `<topic>-value`, typed by the
topic's `keyFormat` / `valueFormat` (a JSON Schema or an Avro schema when none is given); with
`keySchemaId` / `valueSchemaId` the schema takes that id, through the registry's IMPORT mode.
"""

from __future__ import annotations

import json
from typing import Any

from ksql.schemas.client import LocalRegistry, RegistryFailure
from ksql.schemas.errors import RegistryError
from ksql.schemas.model import SchemaText

_SCHEMA_TYPES = {"AVRO": "AVRO", "JSON_SR": "JSON", "JSON": "JSON", "PROTOBUF": "PROTOBUF"}


def _format_of(topic: dict, side: str) -> str | None:
    fmt = topic.get(f"{side}Format") or topic.get("format")
    if isinstance(fmt, dict):
        fmt = fmt.get("format")
    return None if fmt is None else str(fmt).upper()


def _schema_type(fmt: str | None, schema: Any) -> str:
    if fmt in _SCHEMA_TYPES:
        return _SCHEMA_TYPES[fmt]
    if isinstance(schema, dict) and ("$schema" in schema or schema.get("type") == "object"):
        return "JSON"
    if isinstance(schema, str) and schema.lstrip().startswith("syntax"):
        return "PROTOBUF"
    return "AVRO"


def register_topic_schemas(registry, topics: tuple[dict, ...]) -> None:
    for topic in topics:
        name = topic.get("name")
        for side in ("key", "value"):
            schema = topic.get(f"{side}Schema")
            if not name or schema is None:
                continue
            text = schema if isinstance(schema, str) and _is_text(schema) else json.dumps(schema)
            schema_type = _schema_type(_format_of(topic, side), schema)
            if schema_type == "PROTOBUF":
                continue  # not built yet
            subject = f"{name}-{side}"
            schema_id = topic.get(f"{side}SchemaId")
            try:
                if schema_id is not None and isinstance(registry, LocalRegistry):
                    _import(registry, subject, text, schema_type, int(schema_id))
                else:
                    registry.register(subject, SchemaText(schema_type, text))
            except (RegistryFailure, RegistryError):
                continue  # the case then fails where it uses the schema, with a reason


def _is_text(schema: str) -> bool:
    """Avro primitive names are JSON strings; protobuf texts are written as they are."""
    return not schema.strip().startswith('"') and schema.strip() not in _AVRO_PRIMITIVES


_AVRO_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def _import(registry: LocalRegistry, subject: str, text: str, schema_type: str, schema_id: int):
    store = registry.store
    store.set_mode(subject, "IMPORT", force=True)
    try:
        store.register(subject, text, schema_type, schema_id=schema_id)
    finally:
        store.delete_mode(subject)
