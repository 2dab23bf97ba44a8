"""Debezium's change event format for one captured table: the topic, the key STRUCT (primary
key columns), the row STRUCT (`<prefix>.<schema>.<table>.Value`) and the envelope STRUCT
(`before`, `after`, `source`, `op`, `ts_ms`, `transaction`), and how a decoded row (one value
per column) becomes the `before`/`after` state.

What `before` holds depends on the table's REPLICA IDENTITY, since that decides what
PostgreSQL writes to the WAL about the old row:
- DEFAULT (the primary key) or USING INDEX: a delete's `before` has the key columns, the
  others null (or, NOT NULL ones, the type's zero value as Debezium fills them); an update
  has no `before` unless it changed the key (then it is emitted as a delete of the old key,
  its tombstone, and a create of the new one, as Debezium does);
- FULL: `before` is the whole old row, for updates and deletes;
- NOTHING: PostgreSQL refuses updates and deletes of a published table.
An unchanged TOASTed value PostgreSQL did not send is taken from the old row when there is
one (FULL), else it is `unavailable.value.placeholder` (strings, bytes) or null.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ksql.connect import api
from ksql.connect.api import Schema, struct_schema
from ksql.connect.debezium.pg_types import ColumnType
from ksql.connect.debezium.pgoutput import UNCHANGED_TOAST

# The Debezium release whose event format this follows.
VERSION = "2.5.0.Final"

_OPTIONAL_STRING = Schema(api.STRING, optional=True)
_OPTIONAL_INT64 = Schema(api.INT64, optional=True)
SOURCE_SCHEMA = struct_schema(
    [
        ("version", Schema(api.STRING)),
        ("connector", Schema(api.STRING)),
        ("name", Schema(api.STRING)),
        ("ts_ms", Schema(api.INT64)),
        ("snapshot", Schema(
            api.STRING, optional=True, name="io.debezium.data.Enum", version=1,
            default="false", parameters={"allowed": "true,last,false,incremental"},
        )),
        ("db", Schema(api.STRING)),
        ("sequence", _OPTIONAL_STRING),
        ("schema", Schema(api.STRING)),
        ("table", Schema(api.STRING)),
        ("txId", _OPTIONAL_INT64),
        ("lsn", _OPTIONAL_INT64),
        ("xmin", _OPTIONAL_INT64),
    ],
    name="io.debezium.connector.postgresql.Source",
)  # fmt: skip
TRANSACTION_SCHEMA = struct_schema(
    [
        ("id", Schema(api.STRING)),
        ("total_order", Schema(api.INT64)),
        ("data_collection_order", Schema(api.INT64)),
    ],
    name="event.block",
    optional=True,
).replace(version=1)


def topic_name(prefix: str, schema: str, table: str) -> str:
    """`<prefix>.<schema>.<table>`, characters a topic name cannot hold replaced by '_'."""
    return re.sub(r"[^a-zA-Z0-9._\-]", "_", f"{prefix}.{schema}.{table}")


class TableSchema:
    """The event schemas of one table and the per-column facts the hot path needs."""

    def __init__(
        self,
        prefix: str,
        schema: str,
        table: str,
        columns: Sequence[tuple[str, ColumnType, bool]],  # name, type, optional
        key: Sequence[str],
        placeholder: str,
    ) -> None:
        self.schema, self.table = schema, table
        self.topic = topic_name(prefix, schema, table)
        self.names = tuple(name for name, _, _ in columns)
        self.converters = tuple(column.convert for _, column, _ in columns)
        self.key_positions = tuple(self.names.index(k) for k in key if k in self.names)
        fields = [(name, column.schema.replace(optional=opt)) for name, column, opt in columns]
        self.value_schema = struct_schema(fields, name=f"{self.topic}.Value", optional=True)
        self.key_schema = (
            struct_schema([fields[i] for i in self.key_positions], name=f"{self.topic}.Key")
            if self.key_positions
            else None
        )
        self.envelope_schema = struct_schema(
            [
                ("before", self.value_schema),
                ("after", self.value_schema),
                ("source", SOURCE_SCHEMA),
                ("op", Schema(api.STRING)),
                ("ts_ms", _OPTIONAL_INT64),
                ("transaction", TRANSACTION_SCHEMA),
            ],
            name=f"{self.topic}.Envelope",
        ).replace(version=1)
        # A NOT NULL column missing from a key-only old row gets its type's zero value.
        self._fallbacks = tuple(None if opt else column.fallback for _, column, opt in columns)
        self._unavailable = tuple(
            _placeholder(column.schema, placeholder) for _, column, _ in columns
        )

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(self.names, values))

    def key(self, values: Sequence[Any]) -> dict[str, Any] | None:
        if not self.key_positions:
            return None
        names = self.names
        return {names[i]: values[i] for i in self.key_positions}

    def key_only_row(self, old: list[Any]) -> list[Any]:
        """An old row PostgreSQL sent as the replica identity columns only (the others
        null): NOT NULL columns get their fallback."""
        return [v if v is not None else f for v, f in zip(old, self._fallbacks)]

    def fill_unchanged(self, new: list[Any], old: list[Any] | None) -> list[Any]:
        """`new` with unchanged TOAST values taken from the full old row or placeholders."""
        return [
            v if v is not UNCHANGED_TOAST
            else old[i] if old is not None and old[i] is not UNCHANGED_TOAST
            else self._unavailable[i]
            for i, v in enumerate(new)
        ]  # fmt: skip


def _placeholder(schema: Schema, text: str) -> Any:
    if schema.type == api.STRING:
        return text
    if schema.type == api.BYTES and schema.name is None:
        return text.encode()
    return None
