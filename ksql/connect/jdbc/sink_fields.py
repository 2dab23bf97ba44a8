"""Which parts of sink records fill which columns (Confluent's FieldsMetadata), and those parts
pulled out of a batch of records a column at a time.

Keys by `pk.mode`: none (no key columns); kafka (topic, partition and offset, named by
`pk.fields` or __connect_topic/__connect_partition/__connect_offset); record_key (a primitive
key is one column, named by `pk.fields`, else by the key column of the ksql stream or table
declared on the topic; a struct key gives its fields, or those `pk.fields` names); record_value
(the value fields `pk.fields` names, all of them when it names none). The other value fields,
narrowed by `fields.whitelist`, are the value columns (a value field named as a key column is
left to the key).

A field's schema comes from the records' schemas, or for schemaless records from the ksql
columns declared on the topic (`SinkTaskContext.topic_columns`); None when neither tells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConfigError, DataError, Schema, SinkRecord
from ksql.connect.jdbc import schemas
from ksql.connect.jdbc.dialects import Column
from ksql.connect.jdbc.sink_config import (
    KAFKA,
    KAFKA_PK_NAMES,
    RECORD_KEY,
    RECORD_VALUE,
    SinkSettings,
)

TopicColumns = Callable[[str], "list[tuple[str, Any, bool]] | None"]
_VALUE, _KEY = attrgetter("value"), attrgetter("key")
_EMPTY: dict = {}
_KAFKA_SCHEMAS = (
    schemas.primitive(api.STRING, False),
    schemas.primitive(api.INT32, False),
    schemas.primitive(api.INT64, False),
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # as the records name it
    schema: Schema | None


@dataclass(slots=True)
class Extracted:
    """One table's records pulled apart. `deletes[i]` marks a tombstone; column lists run
    parallel to `records`; `errors` are records that cannot be written, by index."""

    records: list[SinkRecord]
    deletes: list[bool] | None  # None: no tombstones
    keys: list[FieldSpec]
    values: list[FieldSpec]
    key_columns: list[list[Any]]
    value_columns: list[list[Any]]
    errors: dict[int, DataError] = field(default_factory=dict)


def extract(
    records: Sequence[SinkRecord], settings: SinkSettings, topic_columns: TopicColumns
) -> Extracted:
    """The key and value columns of `records` (all bound for one table)."""
    records = list(records)
    values = list(map(_VALUE, records))
    deletes = None
    if None in values:  # tombstones: deletes, or nothing to write
        if not settings.delete_enabled:
            records = [r for r, v in zip(records, values) if v is not None]
            values = [v for v in values if v is not None]
        else:
            deletes = [v is None for v in values]
            values = [_EMPTY if v is None else v for v in values]
    errors: dict[int, DataError] = {}
    if set(map(type, values)) - {dict}:
        for index, value in enumerate(values):
            if type(value) is not dict:
                errors[index] = DataError(
                    "The record value must be a struct (a map of fields) to be written to a "
                    f"table, not a {type(value).__name__}"
                )
                values[index] = _EMPTY
    declared = _declared(records, topic_columns)
    value_fields = _value_fields(records, values, declared)
    keys, key_columns = _keys(records, values, value_fields, settings, declared, errors)
    # A value field named as a key column is that column: the key fills it.
    key_names = {k.name.lower() for k in keys}
    whitelist = settings.fields_whitelist
    chosen = [
        f
        for f in value_fields
        if f.name.lower() not in key_names and (not whitelist or f.name in whitelist)
    ]
    return Extracted(
        records,
        deletes,
        keys,
        chosen,
        key_columns,
        _columns(values, [f.name for f in chosen]),
        errors,
    )


def merge(
    extracted: Extracted, key_targets: list[Column], value_targets: list[Column]
) -> tuple[Extracted, tuple[Column, ...], tuple[Column, ...]]:
    """`extracted` with the fields that land in one column (`*_targets`, one per field)
    merged into one (a record has one of them: the first that is not null wins), and the
    columns in order."""
    keys, key_columns, key_targets = _merge(extracted.keys, extracted.key_columns, key_targets)
    fields, value_columns, value_targets = _merge(
        extracted.values, extracted.value_columns, value_targets
    )
    merged = Extracted(
        extracted.records,
        extracted.deletes,
        keys,
        fields,
        key_columns,
        value_columns,
        extracted.errors,
    )
    return merged, tuple(key_targets), tuple(value_targets)


def _merge(
    specs: list[FieldSpec], columns: list[list[Any]], targets: list[Column]
) -> tuple[list[FieldSpec], list[list[Any]], list[Column]]:
    if len(set(targets)) == len(targets):
        return specs, columns, targets
    at: dict[Column, int] = {}
    out_specs: list[FieldSpec] = []
    out_columns: list[list[Any]] = []
    out_targets: list[Column] = []
    for spec, values, target in zip(specs, columns, targets):
        if target in at:
            index = at[target]
            out_columns[index] = [
                a if a is not None else b for a, b in zip(out_columns[index], values)
            ]
            continue
        at[target] = len(out_targets)
        out_specs.append(spec)
        out_columns.append(values)
        out_targets.append(target)
    return out_specs, out_columns, out_targets


def _declared(records: list[SinkRecord], topic_columns: TopicColumns) -> dict[str, Any]:
    """The ksql columns declared on the records' topics: lower name -> (name, schema, is_key)."""
    out: dict[str, Any] = {}
    for topic in dict.fromkeys(map(attrgetter("topic"), records)):
        for name, sql_type, is_key in topic_columns(topic) or ():
            out.setdefault(name.lower(), (name, schemas.of_sql_type(sql_type), is_key))
    return out


def _value_fields(
    records: list[SinkRecord], values: list[dict], declared: dict[str, Any]
) -> list[FieldSpec]:
    """Every value field in order of appearance, typed by the records' schemas or ksql."""
    distinct = list({id(r.value_schema): r.value_schema for r in records}.values())
    typed: dict[str, Schema] = {}
    for schema in distinct:
        if schema is not None and schema.type == api.STRUCT:
            for f in schema.fields:
                typed.setdefault(f.name, f.schema)
    if len(distinct) == 1 and typed:  # one STRUCT schema: its fields are every dict's keys
        names = dict.fromkeys(typed)
    else:
        names = {}
        for shape in dict.fromkeys(map(tuple, values)):
            names.update(dict.fromkeys(shape))
    return [FieldSpec(n, typed.get(n) or _declared_schema(declared, n)) for n in names]


def _declared_schema(declared: dict[str, Any], name: str) -> Schema | None:
    found = declared.get(name.lower())
    return found[1] if found else None


def _keys(
    records: list[SinkRecord],
    values: list[dict],
    value_fields: list[FieldSpec],
    settings: SinkSettings,
    declared: dict[str, Any],
    errors: dict[int, DataError],
) -> tuple[list[FieldSpec], list[list[Any]]]:
    mode, names = settings.pk_mode, list(settings.pk_fields)
    if mode == KAFKA:
        specs = [FieldSpec(n, s) for n, s in zip(names or KAFKA_PK_NAMES, _KAFKA_SCHEMAS)]
        getters = (attrgetter("topic"), attrgetter("partition"), attrgetter("offset"))
        return specs, [list(map(g, records)) for g in getters]
    if mode == RECORD_VALUE:
        chosen = names or [f.name for f in value_fields]
        by_name = {f.name: f for f in value_fields}
        specs = [by_name.get(n) or FieldSpec(n, _declared_schema(declared, n)) for n in chosen]
        return specs, _columns(values, chosen)
    if mode != RECORD_KEY:
        return [], []
    keys = list(map(_KEY, records))
    sample = next((k for k in keys if k is not None), None)
    if isinstance(sample, dict):
        return _struct_keys(records, keys, names, declared, errors)
    ksql_key = _ksql_key(declared)
    if len(names) > 1 or (not names and ksql_key is None):
        raise ConfigError(
            "Need exactly one PK column defined since the key schema for records is a primitive "
            f"type, defined columns are: [{', '.join(names)}]"
        )
    name = names[0] if names else ksql_key[0]  # type: ignore[index]
    schema = next((r.key_schema for r in records if r.key_schema is not None), None)
    schema = schema or _declared_schema(declared, name) or (ksql_key[1] if ksql_key else None)
    spec = FieldSpec(name, schema)
    for index, key in enumerate(keys):
        if type(key) is dict:
            errors.setdefault(index, DataError("The record key is a struct; other keys are not"))
    return [spec], [keys]


def _struct_keys(
    records: list[SinkRecord],
    keys: list[Any],
    names: list[str],
    declared: dict[str, Any],
    errors: dict[int, DataError],
) -> tuple[list[FieldSpec], list[list[Any]]]:
    for index, key in enumerate(keys):
        if type(key) is not dict:
            if key is not None:
                errors.setdefault(index, DataError("The record key is not a struct; others are"))
            keys[index] = _EMPTY
    chosen = names or list(
        dict.fromkeys(n for shape in dict.fromkeys(map(tuple, keys)) for n in shape)
    )
    typed: dict[str, Schema] = {}
    for schema in {id(r.key_schema): r.key_schema for r in records}.values():
        if schema is not None and schema.type == api.STRUCT:
            for f in schema.fields:
                typed.setdefault(f.name, f.schema)
    specs = [FieldSpec(n, typed.get(n) or _declared_schema(declared, n)) for n in chosen]
    return specs, _columns(keys, chosen)


def _ksql_key(declared: dict[str, Any]) -> tuple[str, Schema] | None:
    """The one key column of the ksql stream or table on the topic, if it has one."""
    keys = [(name, schema) for name, schema, is_key in declared.values() if is_key]
    return keys[0] if len(keys) == 1 else None


def _columns(dicts: list[dict], names: list[str]) -> list[list[Any]]:
    """`names`' values in each dict, a list per name (None where a dict lacks one)."""
    try:
        return [[d[n] for d in dicts] for n in names]
    except KeyError:  # some dict lacks some name
        return [[d.get(n) for d in dicts] for n in names]
