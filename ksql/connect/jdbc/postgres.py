"""PostgreSQL through psycopg 3.

Sessions run in UTC (TIMESTAMP columns hold UTC wall-clock times, as Connect's JDBC connectors
write them with `db.timezone=UTC`). A sink batch is written in bulk: rows are COPied (binary
when every column type has a binary form here, text otherwise) into a temporary staging table
shaped like the target, and one INSERT ... ON CONFLICT DO UPDATE, UPDATE ... FROM or
DELETE ... USING applies them; plain inserts are COPied straight into the table. Statements
always go with a parameter list, so a `%` in SQL text is written `%%` (see `quote`, `embed`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.string import TextLoader

from ksql.connect import api
from ksql.connect.api import Schema
from ksql.connect.jdbc import schemas
from ksql.connect.jdbc.dialects import DATA, FATAL, RETRIABLE, Column, Dialect, TableId, WriteSpec

# Column types COPied in binary, and the type whose binary form is sent. A TIMESTAMP takes a
# TIMESTAMPTZ's bytes: both are microseconds since 2000-01-01, and values here are UTC.
_BINARY_AS = {
    "bool": "bool",
    "int2": "int2",
    "int4": "int4",
    "int8": "int8",
    "float4": "float4",
    "float8": "float8",
    "numeric": "numeric",
    "text": "text",
    "varchar": "text",
    "bpchar": "text",
    "bytea": "bytea",
    "date": "date",
    "time": "time",
    "timestamp": "timestamptz",
    "timestamptz": "timestamptz",
}

_SIMPLE = {
    "bool": api.BOOLEAN,
    "int2": api.INT16,
    "int4": api.INT32,
    "int8": api.INT64,
    "oid": api.INT64,
    "float4": api.FLOAT32,
    "float8": api.FLOAT64,
    "bytea": api.BYTES,
}

_COLUMNS = """
SELECT a.attname, t.typname, a.atttypmod, NOT a.attnotnull,
       a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%%'
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = ANY(%s) AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
  AND has_schema_privilege(n.oid, 'USAGE')
ORDER BY 1, 2
"""


class PostgresDialect(Dialect):
    param = "%s"
    default_schema = "public"

    def connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.target.location, autocommit=False, connect_timeout=10)
        for json_type in ("json", "jsonb"):  # read JSON as its text: a Connect STRING
            conn.adapters.register_loader(json_type, TextLoader)
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()
        return conn

    def classify(self, error: BaseException) -> str | None:
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            return RETRIABLE
        if isinstance(error, psycopg.DataError | psycopg.IntegrityError):
            return DATA
        if isinstance(error, psycopg.Error):
            return FATAL
        return None

    def executemany(self, conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(sql, rows)

    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = conn.cursor(name="ksql_jdbc_source")  # server-side: read in pieces
        cursor.execute(sql, params)
        return cursor

    def close_cursor(self, conn: Any, cursor: Any) -> None:
        cursor.close()
        conn.rollback()

    def begin(self, conn: Any) -> None:
        pass  # psycopg opens a transaction with the first statement

    def commit(self, conn: Any) -> None:
        conn.commit()

    def rollback(self, conn: Any) -> None:
        conn.rollback()

    def end_read(self, conn: Any) -> None:
        conn.rollback()

    # ------------------------------------------------------------------ names

    def quote(self, name: str) -> str:
        return super().quote(name).replace("%", "%%")

    def embed(self, sql: str) -> str:
        return sql.replace("%", "%%")

    def _regclass(self, table: TableId) -> str:
        """The table's name as to_regclass reads it (a parameter: no %% here)."""
        name = '"' + table.name.replace('"', '""') + '"'
        if table.schema:
            return '"' + table.schema.replace('"', '""') + '".' + name
        return name

    # ------------------------------------------------------------------ catalog

    def list_tables(self, conn: Any, types: set[str]) -> list[TableId]:
        kinds = [k for t, ks in (("TABLE", "rp"), ("VIEW", "vm")) if t in types for k in ks]
        rows = self.query(conn, _TABLES, (kinds,))
        return [TableId(name, schema) for schema, name in rows]

    def columns(self, conn: Any, table: TableId) -> list[Column] | None:
        rows = self.query(conn, _COLUMNS, (self._regclass(table),))
        if not rows:
            return None
        out = []
        for name, typname, typmod, nullable, auto in rows:
            precision, scale = _numeric_modifier(typname, typmod)
            out.append(Column(name, typname, nullable, precision, scale, auto))
        return out

    def query_columns(self, conn: Any, sql: str) -> list[Column]:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({sql}) AS ksql_query LIMIT 0", ())
            description = cursor.description or []
        oids = sorted({c.type_code for c in description})
        names = dict(
            self.query(conn, "SELECT oid, typname FROM pg_type WHERE oid = ANY(%s)", (oids,))
        )
        return [
            Column(
                c.name,
                names.get(c.type_code, "text"),
                True,
                c.precision if c.scale is not None else None,
                c.scale,
            )
            for c in description
        ]

    def connect_schema(self, column: Column) -> Schema:
        typname, optional = column.type_name, column.nullable
        if typname.startswith("_"):  # an array of the type named after the underscore
            element = Column("", typname[1:], True, column.precision, column.scale)
            return schemas.array(self.connect_schema(element), optional)
        if typname in _SIMPLE:
            return schemas.primitive(_SIMPLE[typname], optional)
        if typname == "numeric":
            if column.scale is None:  # unbounded NUMERIC: no fixed scale for a Decimal
                return schemas.primitive(api.FLOAT64, optional)
            return schemas.decimal(column.scale, column.precision, optional)
        if typname == "date":
            return schemas.date(optional)
        if typname in ("time", "timetz"):
            return schemas.time(optional)
        if typname in ("timestamp", "timestamptz"):
            return schemas.timestamp(optional)
        return schemas.primitive(api.STRING, optional)

    # ------------------------------------------------------------------ reading

    def now(self, conn: Any) -> dt.datetime:
        return self.query(conn, "SELECT clock_timestamp()")[0][0]

    def timestamp_param(self, column: Column, value: dt.datetime) -> Any:
        return value if column.type_name == "timestamptz" else value.replace(tzinfo=None)

    # ------------------------------------------------------------------ writing

    def sql_type(self, schema: Schema) -> str:
        match schema.name:
            case api.DECIMAL:
                precision = schemas.decimal_precision(schema)
                scale = schemas.decimal_scale(schema)
                return f"NUMERIC({precision},{scale})" if precision else "NUMERIC"
            case api.DATE:
                return "DATE"
            case api.TIME:
                return "TIME"
            case api.TIMESTAMP:
                return "TIMESTAMP"
        if schema.type == api.ARRAY:
            element = schema.value_schema
            if element is None or element.type in (api.ARRAY, api.MAP, api.STRUCT):
                return "JSONB"
            return f"{self.sql_type(element)}[]"
        return {
            api.INT8: "SMALLINT",
            api.INT16: "SMALLINT",
            api.INT32: "INTEGER",
            api.INT64: "BIGINT",
            api.FLOAT32: "REAL",
            api.FLOAT64: "DOUBLE PRECISION",
            api.BOOLEAN: "BOOLEAN",
            api.STRING: "TEXT",
            api.BYTES: "BYTEA",
        }.get(schema.type, "JSONB")

    def write(self, conn: Any, spec: WriteSpec, deletes: list[tuple], rows: list[tuple]) -> None:
        table = self.table_sql(spec.table)
        if deletes:
            stage = self._stage(conn, spec.table, spec.keys, "delete", deletes)
            match = " AND ".join(
                f"t.{self.quote(c.name)} = s.{self.quote(c.name)}" for c in spec.keys
            )
            self.execute(conn, f"DELETE FROM {table} AS t USING {stage} AS s WHERE {match}")
        if not rows:
            return
        if spec.mode == "insert":
            self._copy(conn, table, spec.columns, rows)
            return
        if spec.mode == "update" and not spec.values:
            return
        stage = self._stage(conn, spec.table, spec.columns, "rows", rows)
        names = ", ".join(self.quote(c.name) for c in spec.columns)
        if spec.mode == "upsert":
            self.execute(
                conn,
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}"
                + self.on_conflict(spec),
            )
            return
        sets = ", ".join(f"{self.quote(c.name)} = s.{self.quote(c.name)}" for c in spec.values)
        match = " AND ".join(f"t.{self.quote(c.name)} = s.{self.quote(c.name)}" for c in spec.keys)
        self.execute(conn, f"UPDATE {table} AS t SET {sets} FROM {stage} AS s WHERE {match}")

    def _stage(
        self, conn: Any, table: TableId, columns: Sequence[Column], role: str, rows: list[tuple]
    ) -> str:
        """A temporary table with `columns` of `table`, holding `rows` until the commit."""
        shape = repr((str(table), role, [(c.name, c.type_name) for c in columns]))
        stage = "ksql_stage_" + hashlib.sha1(shape.encode()).hexdigest()[:16]
        names = ", ".join(self.quote(c.name) for c in columns)
        self.execute(
            conn,
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {self.table_sql(table)} WITH NO DATA",
        )
        self._copy(conn, stage, columns, rows)
        return stage

    def _copy(self, conn: Any, table: str, columns: Sequence[Column], rows: list[tuple]) -> None:
        names = ", ".join(self.quote(c.name) for c in columns)
        binary = all(c.type_name in _BINARY_AS for c in columns)
        statement = f"COPY {table} ({names}) FROM STDIN"
        with (
            conn.cursor() as cursor,
            cursor.copy(statement + (" (FORMAT BINARY)" if binary else ""), ()) as copy,
        ):
            if binary:
                copy.set_types([_BINARY_AS[c.type_name] for c in columns])
            write_row = copy.write_row
            for row in rows:
                write_row(row)


def _numeric_modifier(typname: str, typmod: int) -> tuple[int | None, int | None]:
    """(precision, scale) of a NUMERIC(p, s) column (or array of them) from its typmod."""
    if typname.lstrip("_") != "numeric" or typmod < 4:
        return None, None
    return ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
