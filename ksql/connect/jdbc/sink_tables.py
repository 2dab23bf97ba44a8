"""The sink's tables: finding a table's columns for the fields of a batch (by name, exact
first, then ignoring case), creating a missing table (`auto.create`) and adding missing columns
(`auto.evolve`), and the converters to each column's values. The catalog is read once per
table and again only when a batch brings fields the table lacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ksql.connect.api import ConfigError, ConnectError
from ksql.connect.jdbc import sink_fields, values
from ksql.connect.jdbc.dialects import Column, Dialect, TableId, WriteSpec
from ksql.connect.jdbc.sink_config import SinkSettings
from ksql.connect.jdbc.sink_fields import Extracted, FieldSpec


class Tables:
    def __init__(self, dialect: Dialect, settings: SinkSettings) -> None:
        self.dialect = dialect
        self.settings = settings
        self._columns: dict[TableId, list[Column]] = {}
        self._converters: dict[tuple[Column, ...], list[values.Converter | None]] = {}

    def forget(self) -> None:
        """Read the catalog again (after a reconnect: tables may have changed meanwhile)."""
        self._columns.clear()

    def spec(
        self, connection: Callable[[], Any], table: TableId, extracted: Extracted
    ) -> tuple[WriteSpec, Extracted]:
        """The columns the extracted fields go to (creating or altering the table as allowed),
        and the fields merged where several land in one column (names differing in case).
        `connection()` gives the connection, asked for only when the catalog must be read."""
        keys, fields = extracted.keys, extracted.values
        columns = self._columns.get(table)
        if columns is None or _missing(columns, keys + fields):
            columns = self._read(connection(), table)
            if columns is None:
                columns = self._create(connection(), table, keys, fields)
            missing = _missing(columns, keys + fields)
            if missing:
                columns = self._evolve(connection(), table, missing)
        merged = sink_fields.merge(
            extracted,
            [_find(columns, f.name) for f in keys],
            [_find(columns, f.name) for f in fields],
        )
        spec = WriteSpec(table, self.settings.insert_mode, *merged[1:])
        return spec, merged[0]

    def converters(self, spec: WriteSpec) -> list[values.Converter | None]:
        """A converter to each column's values (None: the database takes any value)."""
        found = self._converters.get(spec.columns)
        if found is None:
            found = []
            for column in spec.columns:
                schema = self.dialect.connect_schema(column)
                found.append(values.converter(schema) if schema is not None else None)
            self._converters[spec.columns] = found
        return found

    def _read(self, conn: Any, table: TableId) -> list[Column] | None:
        with self.dialect.errors(f"Reading the columns of {table}"):
            columns = self.dialect.columns(conn, table)
            self.dialect.end_read(conn)
        if columns is not None:
            self._columns[table] = columns
        return columns

    def _create(
        self, conn: Any, table: TableId, keys: list[FieldSpec], fields: list[FieldSpec]
    ) -> list[Column]:
        if not self.settings.auto_create:
            raise ConnectError(f'Table "{table}" is missing and auto-creation is disabled')
        untyped = [f.name for f in keys + fields if f.schema is None]
        if untyped:
            raise ConfigError(
                f'Cannot create table "{table}": no type for {", ".join(untyped)}. The records '
                "have no schema and no ksql stream or table declared on the topic has these "
                "columns: declare one (CREATE STREAM/TABLE ... WITH (KAFKA_TOPIC=...)), or use "
                "a converter with schemas"
            )
        key_names = {k.name for k in keys}
        shape = [
            (f.name, f.schema, f.name in key_names or not f.schema.optional)
            for f in keys + fields
            if f.schema is not None  # (all are: untyped fields were refused above)
        ]
        self._ddl(
            conn,
            f"Creating table {table}",
            [self.dialect.create_table_sql(table, shape, [k.name for k in keys])],
        )
        created = self._read(conn, table)
        if created is None:
            raise ConnectError(f'Table "{table}" was created but cannot be found')
        return created

    def _evolve(self, conn: Any, table: TableId, missing: list[FieldSpec]) -> list[Column]:
        names = ", ".join(f.name for f in missing)
        if not self.settings.auto_evolve:
            raise ConnectError(
                f'Table "{table}" is missing fields ({names}) and auto-evolution is disabled'
            )
        untyped = [f.name for f in missing if f.schema is None]
        if untyped:
            raise ConfigError(
                f'Cannot add columns {", ".join(untyped)} to table "{table}": the records have '
                "no schema and no ksql stream or table declared on the topic types them"
            )
        # Added columns are nullable: the table has rows already (and a new key field
        # cannot join an existing primary key).
        self._ddl(
            conn,
            f"Adding columns {names} to table {table}",
            [
                self.dialect.add_column_sql(table, f.name, f.schema.replace(optional=True))
                for f in missing
                if f.schema is not None  # (all are: untyped fields were refused above)
            ],
        )
        columns = self._read(conn, table)
        assert columns is not None
        return columns

    def _ddl(self, conn: Any, what: str, statements: list[str]) -> None:
        d = self.dialect
        with d.errors(what), d.transaction(conn):
            for statement in statements:
                d.execute(conn, statement)


def _find(columns: list[Column], name: str) -> Column:
    for column in columns:
        if column.name == name:
            return column
    lowered = name.lower()
    for column in columns:
        if column.name.lower() == lowered:
            return column
    raise KeyError(name)


def _missing(columns: list[Column], fields: list[FieldSpec]) -> list[FieldSpec]:
    names = {c.name for c in columns} | {c.name.lower() for c in columns}
    return [f for f in fields if f.name not in names and f.name.lower() not in names]
