"""DuckDB through the duckdb package.

Sessions run in UTC. A sink batch goes in as one Arrow table registered with the connection
(values typed by Arrow from their Python form, cast by DuckDB to the columns' types), applied
with one INSERT ... SELECT (ON CONFLICT DO UPDATE), UPDATE ... FROM or DELETE ... USING. Types
DuckDB has and Connect has not (UUID, INTERVAL, STRUCT, MAP, ...) are read as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from ksql.connect import api
from ksql.connect.api import Schema
from ksql.connect.jdbc import schemas
from ksql.connect.jdbc.dialects import DATA, FATAL, RETRIABLE, Column, Dialect, TableId, WriteSpec

_SIMPLE = {
    "BOOLEAN": api.BOOLEAN,
    "TINYINT": api.INT8,
    "SMALLINT": api.INT16,
    "INTEGER": api.INT32,
    "BIGINT": api.INT64,
    "UTINYINT": api.INT16,
    "USMALLINT": api.INT32,
    "UINTEGER": api.INT64,
    "FLOAT": api.FLOAT32,
    "DOUBLE": api.FLOAT64,
    "VARCHAR": api.STRING,
    "BLOB": api.BYTES,
}
_WIDE_INTEGERS = {"UBIGINT": 20, "HUGEINT": 38, "UHUGEINT": 38}  # as DECIMAL(p, 0)
_STAGE = "ksql_stage"


class DuckDialect(Dialect):
    default_schema = "main"

    def connect(self) -> duckdb.DuckDBPyConnection:
        conn = duckdb.connect(self.target.location)
        conn.execute("SET TimeZone = 'UTC'")
        return conn

    def classify(self, error: BaseException) -> str | None:
        if isinstance(error, duckdb.IntegrityError | duckdb.DataError):
            return DATA
        if isinstance(error, pa.ArrowException | OverflowError):  # building a stage
            return DATA
        if isinstance(error, duckdb.OperationalError):  # a write conflict, a lock, I/O
            return RETRIABLE
        if isinstance(error, duckdb.Error):
            return FATAL
        return None

    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = conn.cursor()  # its own result: the connection stays free for other reads
        cursor.execute(sql, params)
        return cursor

    def begin(self, conn: Any) -> None:
        conn.begin()

    def commit(self, conn: Any) -> None:
        conn.commit()

    def rollback(self, conn: Any) -> None:
        conn.rollback()

    # ------------------------------------------------------------------ catalog

    def list_tables(self, conn: Any, types: set[str]) -> list[TableId]:
        parts = []
        if "TABLE" in types:
            parts.append(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE NOT internal AND database_name = current_database()"
            )
        if "VIEW" in types:
            parts.append(
                "SELECT schema_name, view_name FROM duckdb_views() "
                "WHERE NOT internal AND database_name = current_database()"
            )
        if not parts:
            return []
        rows = self.query(conn, " UNION ALL ".join(parts) + " ORDER BY 1, 2")
        return [TableId(name, schema) for schema, name in rows]

    def columns(self, conn: Any, table: TableId) -> list[Column] | None:
        rows = self.query(
            conn,
            "SELECT column_name, data_type, is_nullable = 'YES', numeric_precision, "
            "numeric_scale, coalesce(column_default, '') LIKE 'nextval(%' "
            "FROM information_schema.columns WHERE table_catalog = current_database() "
            "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (table.schema or self.default_schema, table.name),
        )
        if not rows:
            return None
        return [
            Column(name, type_name, nullable, *_decimal_modifier(type_name), auto)
            for name, type_name, nullable, _, _, auto in rows
        ]

    def query_columns(self, conn: Any, sql: str) -> list[Column]:
        rows = self.query(conn, f"DESCRIBE {sql}")
        return [Column(r[0], r[1], True, *_decimal_modifier(r[1])) for r in rows]

    def connect_schema(self, column: Column) -> Schema:
        type_name, optional = column.type_name.upper(), column.nullable
        array = re.fullmatch(r"(.+)\[\d*\]", type_name)
        if array:
            element = Column("", array.group(1), True, *_decimal_modifier(array.group(1)))
            return schemas.array(self.connect_schema(element), optional)
        if type_name in _SIMPLE:
            return schemas.primitive(_SIMPLE[type_name], optional)
        if type_name in _WIDE_INTEGERS:
            return schemas.decimal(0, _WIDE_INTEGERS[type_name], optional)
        if column.scale is not None:
            return schemas.decimal(column.scale, column.precision, optional)
        if type_name == "DATE":
            return schemas.date(optional)
        if type_name.startswith("TIME") and not type_name.startswith("TIMESTAMP"):
            return schemas.time(optional)
        if type_name.startswith("TIMESTAMP"):
            return schemas.timestamp(optional)
        return schemas.primitive(api.STRING, optional)

    # ------------------------------------------------------------------ reading

    def timestamp_param(self, column: Column, value: dt.datetime) -> Any:
        if column.type_name.upper() == "TIMESTAMP WITH TIME ZONE":
            return value
        return value.replace(tzinfo=None)

    # ------------------------------------------------------------------ writing

    def sql_type(self, schema: Schema) -> str:
        match schema.name:
            case api.DECIMAL:
                precision = min(schemas.decimal_precision(schema) or 38, 38)
                return f"DECIMAL({precision},{schemas.decimal_scale(schema)})"
            case api.DATE:
                return "DATE"
            case api.TIME:
                return "TIME"
            case api.TIMESTAMP:
                return "TIMESTAMP"
        if schema.type == api.ARRAY:
            element = schema.value_schema
            if element is None or element.type in (api.ARRAY, api.MAP, api.STRUCT):
                return "JSON"
            return f"{self.sql_type(element)}[]"
        return {
            api.INT8: "TINYINT",
            api.INT16: "SMALLINT",
            api.INT32: "INTEGER",
            api.INT64: "BIGINT",
            api.FLOAT32: "FLOAT",
            api.FLOAT64: "DOUBLE",
            api.BOOLEAN: "BOOLEAN",
            api.STRING: "VARCHAR",
            api.BYTES: "BLOB",
        }.get(schema.type, "JSON")

    def write(self, conn: Any, spec: WriteSpec, deletes: list[tuple], rows: list[tuple]) -> None:
        table = self.table_sql(spec.table)
        if deletes:
            self._register(conn, len(spec.keys), deletes)
            match = " AND ".join(
                f"t.{self.quote(c.name)} = s.c{i}" for i, c in enumerate(spec.keys)
            )
            self.execute(conn, f"DELETE FROM {table} AS t USING {_STAGE} AS s WHERE {match}")
        if not rows or (spec.mode == "update" and not spec.values):
            return
        self._register(conn, len(spec.columns), rows)
        if spec.mode == "update":
            width = len(spec.keys)
            sets = ", ".join(
                f"{self.quote(c.name)} = s.c{width + i}" for i, c in enumerate(spec.values)
            )
            match = " AND ".join(
                f"t.{self.quote(c.name)} = s.c{i}" for i, c in enumerate(spec.keys)
            )
            self.execute(conn, f"UPDATE {table} AS t SET {sets} FROM {_STAGE} AS s WHERE {match}")
            return
        names = ", ".join(self.quote(c.name) for c in spec.columns)
        picks = ", ".join(f"c{i}" for i in range(len(spec.columns)))
        sql = f"INSERT INTO {table} ({names}) SELECT {picks} FROM {_STAGE}"
        self.execute(conn, sql + (self.on_conflict(spec) if spec.mode == "upsert" else ""))

    def _register(self, conn: Any, width: int, rows: list[tuple]) -> None:
        columns = list(zip(*rows)) if rows else [()] * width
        stage = pa.table({f"c{i}": pa.array(list(col)) for i, col in enumerate(columns)})
        conn.register(_STAGE, stage)


def _decimal_modifier(type_name: str) -> tuple[int | None, int | None]:
    match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", type_name.strip().upper())
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)
