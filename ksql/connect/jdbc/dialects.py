"""What the JDBC connectors need from a database, and what the databases do alike.

A `Dialect` opens connections, quotes names, reads the catalog (tables, columns and their
types as Connect schemas), names Connect schemas in DDL, writes a batch of deletes and rows,
and tells a transient failure (RetriableError), a batch the database rejects for its data
(RejectedData: the caller looks for the record at fault) and anything else (ConnectError) apart.
The base class holds the SQL every database here understands; `postgres`, `sqlite` and `duck`
override what differs. `dialect_for(url, user, password)` picks one by the URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from ksql.connect.api import ConnectError, DataError, RetriableError, Schema
from ksql.connect.jdbc import urls
from ksql.connect.jdbc.urls import Target

POSITIONS_TABLE = "__ksql_connect_positions"

# What `classify` makes of a driver error.
RETRIABLE, DATA, FATAL = "retriable", "data", "fatal"


class RejectedData(DataError):
    """The database refused a batch for the values in it (a constraint, a value out of range):
    some record in it is at fault, the connection is fine."""


@dataclass(frozen=True, slots=True)
class TableId:
    """A table, `schema` None where the database has no schemas or the name gave none."""

    name: str
    schema: str | None = None

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True, slots=True)
class Column:
    """A column as the catalog describes it; `type_name` is the database's own spelling."""

    name: str
    type_name: str
    nullable: bool = True
    precision: int | None = None
    scale: int | None = None
    auto_increment: bool = False


@dataclass(frozen=True, slots=True)
class WriteSpec:
    """How rows go into one table: `keys` then `values` is the order of a row's columns."""

    table: TableId
    mode: str  # insert | upsert | update
    keys: tuple[Column, ...]
    values: tuple[Column, ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.keys + self.values


class Dialect:
    """One database; subclasses implement what raises NotImplementedError here."""

    param = "?"  # the driver's placeholder
    default_schema: str | None = None  # tables there are named without their schema

    def __init__(self, target: Target) -> None:
        self.target = target

    # ------------------------------------------------------------------ connections

    def connect(self) -> Any:
        raise NotImplementedError

    def close(self, conn: Any) -> None:
        with suppress(Exception):  # closing a broken connection may fail; it is gone anyway
            conn.close()

    def execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> None:
        conn.execute(sql, params)

    def executemany(self, conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        conn.executemany(sql, rows)

    def query(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return conn.execute(sql, params).fetchall()

    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        """A cursor over a result read in pieces with `fetchmany`, closed by `close_cursor`."""
        return conn.execute(sql, params)

    def close_cursor(self, conn: Any, cursor: Any) -> None:
        cursor.close()

    def begin(self, conn: Any) -> None:
        conn.execute("BEGIN")

    def commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def rollback(self, conn: Any) -> None:
        conn.execute("ROLLBACK")

    @contextmanager
    def transaction(self, conn: Any) -> Iterator[None]:
        """Commit what runs inside, or roll it back when it raises."""
        self.begin(conn)
        try:
            yield
        except BaseException:
            with suppress(Exception):  # the error that brought us here is the one to tell
                self.rollback(conn)
            raise
        self.commit(conn)

    def end_read(self, conn: Any) -> None:
        """End the read transaction a query may have opened (nothing to do by default)."""

    def classify(self, error: BaseException) -> str | None:
        """RETRIABLE, DATA or FATAL for a database error; None for any other exception."""
        raise NotImplementedError

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Turn database errors inside into RetriableError, RejectedData or ConnectError."""
        try:
            yield
        except ConnectError:
            raise
        except Exception as error:
            kind = self.classify(error)
            if kind is None:
                raise
            detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            message = f"{what}: {detail}"
            if kind == RETRIABLE:
                raise RetriableError(message) from error
            if kind == DATA:
                raise RejectedData(message) from error
            raise ConnectError(message) from error

    # ------------------------------------------------------------------ names

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def table_sql(self, table: TableId) -> str:
        if table.schema:
            return f"{self.quote(table.schema)}.{self.quote(table.name)}"
        return self.quote(table.name)

    def parse_table(self, text: str) -> TableId:
        """`schema.table` or `table` as a user writes it."""
        schema, _, name = text.strip().rpartition(".")
        return TableId(name, schema or None)

    def embed(self, sql: str) -> str:
        """User SQL made safe to run with parameters."""
        return sql

    def display_name(self, table: TableId) -> str:
        """How the source names a table in offsets: without the default schema."""
        return table.name if table.schema in (None, self.default_schema) else str(table)

    # ------------------------------------------------------------------ catalog

    def list_tables(self, conn: Any, types: set[str]) -> list[TableId]:
        """Tables (and views when `types` has VIEW) a source may read, in name order."""
        raise NotImplementedError

    def columns(self, conn: Any, table: TableId) -> list[Column] | None:
        """The table's columns in order, None when there is no such table."""
        raise NotImplementedError

    def query_columns(self, conn: Any, sql: str) -> list[Column]:
        """The columns `sql` (a SELECT) returns; all nullable."""
        raise NotImplementedError

    def connect_schema(self, column: Column) -> Schema | None:
        """The Connect schema of a column's values; None when the database cannot tell
        (the reader then looks at the values)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ reading

    def now(self, conn: Any) -> dt.datetime:
        """The current time, for `timestamp.delay.interval.ms`."""
        return dt.datetime.now(dt.UTC)

    def timestamp_sql(self, expression: str) -> str:
        """A timestamp column or COALESCE as compared with `timestamp_param` values."""
        return expression

    def timestamp_param(self, column: Column, value: dt.datetime) -> Any:
        """A UTC datetime as a parameter compared with `timestamp_sql` of `column`."""
        return value.replace(tzinfo=None)

    # ------------------------------------------------------------------ writing

    def sql_type(self, schema: Schema) -> str:
        """The column type a sink creates for values of `schema`."""
        raise NotImplementedError

    def create_table_sql(
        self, table: TableId, columns: Sequence[tuple[str, Schema, bool]], keys: Sequence[str]
    ) -> str:
        """CREATE TABLE for (name, schema, not null) columns with `keys` as primary key."""
        parts = [
            f"{self.quote(name)} {self.sql_type(schema)}{' NOT NULL' if not_null else ''}"
            for name, schema, not_null in columns
        ]
        if keys:
            parts.append(f"PRIMARY KEY ({', '.join(map(self.quote, keys))})")
        return f"CREATE TABLE IF NOT EXISTS {self.table_sql(table)} ({', '.join(parts)})"

    def add_column_sql(self, table: TableId, name: str, schema: Schema) -> str:
        return (
            f"ALTER TABLE {self.table_sql(table)} ADD COLUMN IF NOT EXISTS "
            f"{self.quote(name)} {self.sql_type(schema)}"
        )

    def bind(self, column: Column, schema: Schema, values: list[Any]) -> list[Any]:
        """Connect values of one column as the driver takes them (as they are by default)."""
        return values

    def write(self, conn: Any, spec: WriteSpec, deletes: list[tuple], rows: list[tuple]) -> None:
        """Delete the rows with keys `deletes`, then write `rows` (keys then values) as
        `spec.mode` says, inside the caller's transaction."""
        table = self.table_sql(spec.table)
        p = self.param
        if deletes:
            where = " AND ".join(f"{self.quote(c.name)} = {p}" for c in spec.keys)
            self.executemany(conn, f"DELETE FROM {table} WHERE {where}", deletes)
        if not rows:
            return
        if spec.mode == "update":
            if not spec.values:
                return
            sets = ", ".join(f"{self.quote(c.name)} = {p}" for c in spec.values)
            where = " AND ".join(f"{self.quote(c.name)} = {p}" for c in spec.keys)
            width = len(spec.keys)
            self.executemany(
                conn,
                f"UPDATE {table} SET {sets} WHERE {where}",
                [row[width:] + row[:width] for row in rows],
            )
            return
        names = ", ".join(self.quote(c.name) for c in spec.columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join([p] * len(spec.columns))})"
        if spec.mode == "upsert":
            sql += self.on_conflict(spec)
        self.executemany(conn, sql, rows)

    def on_conflict(self, spec: WriteSpec) -> str:
        """The ON CONFLICT clause of an upsert: keys win, the other columns are replaced."""
        target = ", ".join(self.quote(c.name) for c in spec.keys)
        if not spec.values:
            return f" ON CONFLICT ({target}) DO NOTHING"
        sets = ", ".join(
            f"{self.quote(c.name)} = excluded.{self.quote(c.name)}" for c in spec.values
        )
        return f" ON CONFLICT ({target}) DO UPDATE SET {sets}"

    # ------------------------------------------------------------------ sink positions

    def ensure_positions_table(self, conn: Any) -> None:
        self.execute(
            conn,
            f"CREATE TABLE IF NOT EXISTS {self.quote(POSITIONS_TABLE)} ("
            'connector TEXT NOT NULL, topic TEXT NOT NULL, "partition" INTEGER NOT NULL, '
            'next_offset BIGINT NOT NULL, PRIMARY KEY (connector, topic, "partition"))',
        )

    def load_positions(self, conn: Any, connector: str) -> dict[tuple[str, int], int]:
        rows = self.query(
            conn,
            f'SELECT topic, "partition", next_offset FROM {self.quote(POSITIONS_TABLE)} '
            f"WHERE connector = {self.param}",
            (connector,),
        )
        return {(topic, int(partition)): int(offset) for topic, partition, offset in rows}

    def save_positions(
        self, conn: Any, connector: str, positions: dict[tuple[str, int], int]
    ) -> None:
        p = self.param
        self.executemany(
            conn,
            f"INSERT INTO {self.quote(POSITIONS_TABLE)} VALUES ({p}, {p}, {p}, {p}) "
            'ON CONFLICT (connector, topic, "partition") '
            "DO UPDATE SET next_offset = excluded.next_offset",
            [(connector, t, part, offset) for (t, part), offset in sorted(positions.items())],
        )


def dialect_for(url: str, user: str | None = None, password: str | None = None) -> Dialect:
    """The dialect of the database `url` names (ConfigError for a URL we cannot use)."""
    target = urls.parse_url(url, user, password)
    if target.dialect == urls.POSTGRESQL:
        from ksql.connect.jdbc.postgres import PostgresDialect

        return PostgresDialect(target)
    if target.dialect == urls.SQLITE:
        from ksql.connect.jdbc.sqlite import SqliteDialect

        return SqliteDialect(target)
    from ksql.connect.jdbc.duck import DuckDialect

    return DuckDialect(target)
