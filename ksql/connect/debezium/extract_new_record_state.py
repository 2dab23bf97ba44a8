"""Debezium's ExtractNewRecordState SMT: a change event envelope becomes the row state it
carries (`after`), so a ksql TABLE or STREAM reads plain rows.

- `drop.tombstones` (default true): drop records with a null value;
- `delete.handling.mode`: `drop` (default) drops delete events; `none` keeps them as a
  null value (a tombstone); `rewrite` emits the `before` state with `__deleted` = "true"
  (and every other state with "false");
- `add.fields`: envelope fields added to the row as `__<name>`: `op` and `ts_ms` are the
  envelope's, `source.<f>` and `transaction.<f>` name a nested field (`__source_<f>`), any
  other name is a source field (`table`, `lsn`, ...); `name:alias` renames;
  `add.fields.prefix` changes `__`;
- `add.headers` (and `add.headers.prefix`): the same fields as record headers (text bytes).

Records that are not envelopes (no `op`, `before` and `after`) pass unchanged; truncate and
message events (no row state) are dropped. Works on records with a schema (a new STRUCT
schema per envelope schema) and on schemaless ones (plain dicts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectRecord, Schema, Transformation, struct_schema
from ksql.connect.config import BOOLEAN, LIST, ConfigDef, ConfigKey

CONFIG_DEF = ConfigDef(
    [
        ConfigKey("drop.tombstones", BOOLEAN, True, "Drop records with a null value."),
        ConfigKey("delete.handling.mode", default="drop", valid=("drop", "rewrite", "none"),
                  doc="Delete events: drop them, rewrite them (__deleted), or none (null)."),
        ConfigKey("add.fields", LIST, [], "Envelope fields added to the row."),
        ConfigKey("add.fields.prefix", default="__", doc="Prefix of the added fields."),
        ConfigKey("add.headers", LIST, [], "Envelope fields added as headers."),
        ConfigKey("add.headers.prefix", default="__", doc="Prefix of the added headers."),
    ]
)  # fmt: skip

_ENVELOPE_FIELDS = frozenset({"op", "ts_ms", "ts_us", "ts_ns"})
_TRANSACTION_FIELDS = frozenset({"id", "total_order", "data_collection_order"})
_DELETED = "__deleted"
_OPTIONAL_STRING = Schema(api.STRING, optional=True)


@dataclass(frozen=True, slots=True)
class FieldReference:
    """An envelope field: `struct` None for a top-level one, else "source" / "transaction"."""

    struct: str | None
    field: str
    new_name: str

    @classmethod
    def parse(cls, text: str, prefix: str) -> FieldReference:
        path, _, alias = text.strip().partition(":")
        parts = path.split(".")
        struct: str | None
        if len(parts) == 2 and parts[0] in ("source", "transaction"):
            struct, field = parts
            name = f"{prefix}{struct}_{field}"
        elif len(parts) == 1 and parts[0]:
            field = parts[0]
            struct = (
                None if field in _ENVELOPE_FIELDS
                else "transaction" if field in _TRANSACTION_FIELDS
                else "source"
            )  # fmt: skip
            name = f"{prefix}{field}"
        else:
            raise ConfigError(
                f"Invalid value {text} for configuration add.fields: expected a field name, "
                "source.<field> or transaction.<field>"
            )
        return cls(struct, field, alias or name)

    def value(self, envelope: Mapping[str, Any]) -> Any:
        if self.struct is None:
            return envelope.get(self.field)
        inner = envelope.get(self.struct)
        return inner.get(self.field) if isinstance(inner, Mapping) else None

    def schema(self, envelope: Schema) -> Schema:
        found = envelope.field(self.struct or self.field)
        if found is not None and self.struct is not None:
            found = found.schema.field(self.field)
        return _OPTIONAL_STRING if found is None else found.schema.replace(optional=True)


class ExtractNewRecordState(Transformation):
    """io.debezium.transforms.ExtractNewRecordState."""

    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        values = CONFIG_DEF.parse(config)
        self.drop_tombstones: bool = values["drop.tombstones"]
        self.delete_mode: str = values["delete.handling.mode"].lower()
        self.fields = tuple(
            FieldReference.parse(f, values["add.fields.prefix"]) for f in values["add.fields"]
        )
        self.headers = tuple(
            FieldReference.parse(f, values["add.headers.prefix"]) for f in values["add.headers"]
        )
        self._schemas: dict[int, tuple[Schema, Schema, Schema]] = {}  # by id(envelope)

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        envelope = record.value
        if envelope is None:
            return None if self.drop_tombstones else record
        if not (isinstance(envelope, Mapping) and {"op", "before", "after"} <= envelope.keys()):
            return record
        op = envelope["op"]
        state = envelope["after"]
        if op == "d":
            if self.delete_mode == "drop":
                return None
            if self.delete_mode == "none":
                row_schema = self._row_schemas(record.value_schema)[0]
                return record.replace(value=None, value_schema=row_schema)
            state = envelope["before"]
        if state is None:  # truncate, message: no row state
            return None
        row = dict(state)
        for ref in self.fields:
            row[ref.new_name] = ref.value(envelope)
        if self.delete_mode == "rewrite":
            row[_DELETED] = "true" if op == "d" else "false"
        headers = record.headers
        if self.headers:
            headers = list(headers)
            for ref in self.headers:
                value = ref.value(envelope)
                headers.append((ref.new_name, None if value is None else str(value).encode()))
        value_schema = record.value_schema
        if value_schema is not None:
            value_schema = self._row_schemas(value_schema)[1]
        return record.replace(value=row, value_schema=value_schema, headers=headers)

    def _row_schemas(self, envelope: Schema | None) -> tuple[Schema | None, Schema | None]:
        """The envelope's `after` schema, and that with the added fields."""
        if envelope is None:
            return None, None
        cached = self._schemas.get(id(envelope))
        if cached is None or cached[0] is not envelope:
            after = envelope.field("after")
            if after is None or after.schema.type != api.STRUCT:
                raise api.DataError(f"envelope schema {envelope.name} has no STRUCT 'after'")
            added = [(ref.new_name, ref.schema(envelope)) for ref in self.fields]
            if self.delete_mode == "rewrite":
                added.append((_DELETED, _OPTIONAL_STRING))
            row = after.schema
            if added:
                fields = [(f.name, f.schema) for f in row.fields] + added
                row = struct_schema(fields, name=row.name, optional=row.optional).replace(
                    version=row.version
                )
            cached = self._schemas[id(envelope)] = (envelope, after.schema, row)
        return cached[1], cached[2]
