"""What the connector asks PostgreSQL's catalog: the tables to capture, a table's columns
(nullability, primary key) and the types that are not built in; the server's `wal_level`;
the replication slot and the publication (found, created or brought in line)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from ksql.connect.api import ConfigError, ConnectError
from ksql.connect.debezium.pg_types import PgType


@dataclass(frozen=True, slots=True)
class Table:
    oid: int
    schema: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class CatalogColumn:
    name: str
    type_oid: int
    type_modifier: int
    not_null: bool


@dataclass(frozen=True, slots=True)
class TableFilter:
    """Debezium's include/exclude lists: regexes matched against the whole `schema.table`
    (or `schema`), ignoring case."""

    tables_included: tuple[re.Pattern[str], ...] = ()
    tables_excluded: tuple[re.Pattern[str], ...] = ()
    schemas_included: tuple[re.Pattern[str], ...] = ()
    schemas_excluded: tuple[re.Pattern[str], ...] = ()

    def __call__(self, schema: str, table: str) -> bool:
        qualified = f"{schema}.{table}"
        return (
            _matches(self.schemas_included, schema, True)
            and not _matches(self.schemas_excluded, schema, False)
            and _matches(self.tables_included, qualified, True)
            and not _matches(self.tables_excluded, qualified, False)
        )


def _matches(patterns: Sequence[re.Pattern[str]], text: str, empty: bool) -> bool:
    return any(p.fullmatch(text) for p in patterns) if patterns else empty


def list_tables(conn: Any, included: TableFilter) -> list[Table]:
    """The ordinary tables (partitions included) outside PostgreSQL's own schemas that
    `included` selects, by schema and name."""
    rows = conn.execute(
        "SELECT c.oid, n.nspname, c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
        "ORDER BY n.nspname, c.relname"
    ).fetchall()
    return [Table(oid, schema, name) for oid, schema, name in rows if included(schema, name)]


def table_columns(conn: Any, relid: int) -> tuple[list[CatalogColumn], list[str]]:
    """The columns pgoutput publishes (not dropped, not generated) in order, and the primary
    key columns in key order ([] without a primary key)."""
    columns = conn.execute(
        "SELECT attname, atttypid, atttypmod, attnotnull FROM pg_attribute "
        "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped AND attgenerated = '' "
        "ORDER BY attnum",
        (relid,),
    ).fetchall()
    key = conn.execute(
        "SELECT a.attname FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
        (relid,),
    ).fetchall()
    return [CatalogColumn(*row) for row in columns], [name for (name,) in key]


def type_info(conn: Any, oid: int) -> PgType | None:
    row = conn.execute(
        "SELECT t.typname, t.typtype, "
        "CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END, t.typbasetype, t.typtypmod, "
        "ARRAY(SELECT enumlabel FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) "
        "FROM pg_type t WHERE t.oid = %s",
        (oid,),
    ).fetchone()
    if row is None:
        return None
    name, kind, element, base, base_modifier, labels = row
    return PgType(oid, name, kind, int(element), int(base), base_modifier, tuple(labels))


def check_wal_level(conn: Any) -> None:
    (level,) = conn.execute("SHOW wal_level").fetchone()
    if level != "logical":
        raise ConnectError(
            f"Postgres server wal_level property must be 'logical' but is: '{level}'"
        )


@dataclass(frozen=True, slots=True)
class SlotInfo:
    plugin: str
    database: str
    active: bool
    confirmed_flush_lsn: int | None


def slot_info(conn: Any, slot: str) -> SlotInfo | None:
    row = conn.execute(
        "SELECT plugin, database, active, confirmed_flush_lsn - '0/0'::pg_lsn "
        "FROM pg_replication_slots WHERE slot_name = %s",
        (slot,),
    ).fetchone()
    if row is None:
        return None
    plugin, database, active, lsn = row
    return SlotInfo(plugin, database, active, None if lsn is None else int(lsn))


def ensure_slot(conn: Any, slot: str, database: str) -> SlotInfo:
    """The logical replication slot `slot`, created (for pgoutput) when it does not exist."""
    found = slot_info(conn, slot)
    if found is None:
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,))
        found = slot_info(conn, slot)
        assert found is not None
    if found.plugin != "pgoutput" or found.database != database:
        raise ConnectError(
            f"Replication slot '{slot}' exists for plugin '{found.plugin}' on database "
            f"'{found.database}', not for pgoutput on '{database}': choose another slot.name"
        )
    return found


def ensure_publication(conn: Any, name: str, mode: str, tables: Sequence[Table]) -> None:
    """Make publication `name` exist as `publication.autocreate.mode` says: all_tables creates
    it FOR ALL TABLES (an existing one is used as it is), filtered creates it for `tables` or
    sets an existing one to them, disabled requires it to exist."""
    (exists,) = conn.execute(
        "SELECT count(*) > 0 FROM pg_publication WHERE pubname = %s", (name,)
    ).fetchone()
    publication = sql.Identifier(name)
    if mode == "disabled":
        if not exists:
            raise ConnectError(
                f"Publication '{name}' does not exist and publication.autocreate.mode is "
                "'disabled': create it (CREATE PUBLICATION ... FOR TABLE ...) or change the mode"
            )
    elif mode == "all_tables":
        if not exists:
            conn.execute(sql.SQL("CREATE PUBLICATION {} FOR ALL TABLES").format(publication))
    else:
        if not tables:
            raise ConfigError(
                "publication.autocreate.mode is 'filtered' but no table matches the "
                "table and schema include/exclude lists"
            )
        listed = sql.SQL(", ").join(t.identifier for t in tables)
        verb = (
            "ALTER PUBLICATION {} SET TABLE {}" if exists else "CREATE PUBLICATION {} FOR TABLE {}"
        )
        conn.execute(sql.SQL(verb).format(publication, listed))
