"""Schema inference: CREATE STREAM/TABLE without key or value columns, in a format whose schemas
live in the registry, takes them from the topic's subject (its latest version, or the schema
`KEY_SCHEMA_ID` / `VALUE_SCHEMA_ID` names)."""

from __future__ import annotations

from dataclasses import replace

from ksql import ast
from ksql.analyzer import properties as P
from ksql.errors import KsqlError, StatementError
from ksql.formats.avro_schema import UNWRAPPED_VALUE
from ksql.formats.base import get_format
from ksql.schemas.client import RegistryFailure


def infer_columns(engine, stmt: ast.CreateSource, session: dict[str, str]) -> ast.CreateSource:
    """`stmt` with the columns the registry supplies added (unchanged when none are needed)."""
    props = stmt.properties
    key_spec, value_spec = P.choose_formats(props, session)
    topic = P.prop(props, "KAFKA_TOPIC")
    if topic is None:
        return stmt
    topic = str(topic)
    has_key = any(e.constraint in ("KEY", "PRIMARY KEY") for e in stmt.elements)
    has_value = any(e.constraint is None for e in stmt.elements)
    key_column = "PRIMARY KEY" if stmt.kind == "TABLE" else "KEY"
    added: list[ast.TableElement] = []
    for spec, is_key, present in ((key_spec, True, has_key), (value_spec, False, has_value)):
        side = "KEY" if is_key else "VALUE"
        if "schemaId" in spec.properties and spec.name not in P.SCHEMA_ID_FORMATS:
            raise StatementError(
                f"{side}_FORMAT should support schema inference when {side}_SCHEMA_ID is "
                f"provided. Current format is {spec.name}."
            )
        if present or spec.name not in P.SUPPORTED_FORMATS:
            continue
        fmt = get_format(
            spec.name, spec.properties, registry=engine.schema_registry(), topic=topic,
            is_key=is_key,
        )  # fmt: skip
        infer = getattr(fmt, "inferred_columns", None)
        if infer is None:
            continue
        text = _schema_text(engine, fmt, topic, side, required=not is_key)
        if text is None:
            continue
        try:
            columns = infer(text, is_key=is_key)
        except KsqlError as error:
            raise StatementError(f"Unable to infer the {side.lower()} schema: {error.message}")
        added += [ast.TableElement(n, t, key_column if is_key else None) for n, t in columns]
    if not added:
        return stmt
    keys = [e for e in added if e.constraint is not None]
    values = [e for e in added if e.constraint is None]
    if [e.name for e in values] == [UNWRAPPED_VALUE] and P.prop(props, "WRAP_SINGLE_VALUE") is None:
        # A value schema that is not a record holds the one column unwrapped.
        props = {**props, "WRAP_SINGLE_VALUE": False}
    return replace(stmt, elements=tuple(keys) + stmt.elements + tuple(values), properties=props)


def _schema_text(engine, fmt, topic: str, side: str, *, required: bool) -> str | None:
    subject = f"{topic}-{side.lower()}"
    registry = engine.schema_registry()
    schema_id = getattr(fmt, "schema_id", None)
    try:
        if schema_id is not None:
            return registry.by_id(schema_id).schema
        latest = registry.latest(subject)
    except RegistryFailure as error:
        raise StatementError(str(error)) from None
    if latest is None:
        if not required:
            return None
        raise StatementError(
            f"Schema for message {side.lower()}s on topic '{topic}' does not exist in the "
            f"Schema Registry.Subject: {subject}"
        )
    return latest.text.schema
