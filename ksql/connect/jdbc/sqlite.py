"""SQLite through the standard library's sqlite3.

Column types follow SQLite's affinity rules on the declared type (INT -> INT64, REAL/FLOA/DOUB
-> FLOAT64, CHAR/CLOB/TEXT -> STRING, BLOB -> BYTES) with the names other databases give to
booleans, decimals and times read as such. Dates, times and timestamps are stored as ISO 8601
text (as SQLite's own date functions write them, timestamps in UTC) and decimals as text, so
that no digit is lost; timestamp offsets are compared at millisecond precision.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from decimal import Decimal
from typing import Any

from ksql.connect import api
from ksql.connect.api import Schema
from ksql.connect.jdbc import schemas
from ksql.connect.jdbc.dialects import DATA, FATAL, RETRIABLE, Column, Dialect, TableId


class SqliteDialect(Dialect):
    def connect(self) -> sqlite3.Connection:
        uri = self.target.location.startswith("file:")
        # Autocommit (isolation_level None): transactions are the explicit BEGIN/COMMIT here.
        conn = sqlite3.connect(
            self.target.location,
            isolation_level=None,
            check_same_thread=False,
            timeout=10.0,
            uri=uri,
        )
        return conn

    def classify(self, error: BaseException) -> str | None:
        if isinstance(error, sqlite3.IntegrityError | sqlite3.DataError | OverflowError):
            return DATA
        if isinstance(error, sqlite3.OperationalError):
            text = str(error).lower()
            return RETRIABLE if "locked" in text or "busy" in text else FATAL
        if isinstance(error, sqlite3.Error):
            return FATAL
        return None

    def parse_table(self, text: str) -> TableId:
        return TableId(text.strip())  # no schemas: a dot is part of the name

    # ------------------------------------------------------------------ catalog

    def list_tables(self, conn: Any, types: set[str]) -> list[TableId]:
        kinds = [k for k, t in (("table", "TABLE"), ("view", "VIEW")) if t in types]
        if not kinds:
            return []
        rows = self.query(
            conn,
            "SELECT name FROM sqlite_master WHERE type IN "
            f"({', '.join('?' * len(kinds))}) AND name NOT LIKE 'sqlite_%' ORDER BY name",
            kinds,
        )
        return [TableId(name) for (name,) in rows]

    def columns(self, conn: Any, table: TableId) -> list[Column] | None:
        rows = self.query(conn, f"PRAGMA table_info({self.quote(table.name)})")
        if not rows:
            return None
        keys = [r for r in rows if r[5]]
        out = []
        for _, name, declared, notnull, _, pk in rows:
            precision, scale = _precision_scale(declared)
            # An INTEGER PRIMARY KEY is the rowid: SQLite gives it the next number.
            rowid = bool(pk) and len(keys) == 1 and declared.strip().upper() == "INTEGER"
            out.append(Column(name, declared, not notnull and not rowid, precision, scale, rowid))
        return out

    def query_columns(self, conn: Any, sql: str) -> list[Column]:
        # A temporary view is how SQLite tells the declared types of a query's columns.
        view = self.quote("ksql_describe")
        self.execute(conn, f"DROP VIEW IF EXISTS temp.{view}")
        self.execute(conn, f"CREATE TEMP VIEW {view} AS {sql}")
        try:
            rows = self.query(conn, f"PRAGMA table_info({view})")
        finally:
            self.execute(conn, f"DROP VIEW IF EXISTS temp.{view}")
        return [Column(r[1], r[2], True, *_precision_scale(r[2])) for r in rows]

    def connect_schema(self, column: Column) -> Schema | None:
        declared = column.type_name.upper()
        optional = column.nullable
        if not declared:
            return None
        if "BOOL" in declared:
            return schemas.primitive(api.BOOLEAN, optional)
        if "INT" in declared:
            return schemas.primitive(api.INT64, optional)
        if any(t in declared for t in ("CHAR", "CLOB", "TEXT")):
            return schemas.primitive(api.STRING, optional)
        if "BLOB" in declared:
            return schemas.primitive(api.BYTES, optional)
        if any(t in declared for t in ("REAL", "FLOA", "DOUB")):
            return schemas.primitive(api.FLOAT64, optional)
        if "TIMESTAMP" in declared or "DATETIME" in declared:
            return schemas.timestamp(optional)
        if "DATE" in declared:
            return schemas.date(optional)
        if "TIME" in declared:
            return schemas.time(optional)
        if column.scale is not None:
            return schemas.decimal(column.scale, column.precision, optional)
        return schemas.primitive(api.FLOAT64, optional)  # NUMERIC affinity

    # ------------------------------------------------------------------ reading

    def timestamp_sql(self, expression: str) -> str:
        # Stored text may or may not carry fractions: compare one spelling, to the millisecond.
        return f"strftime('%Y-%m-%d %H:%M:%f', {expression})"

    def timestamp_param(self, column: Column, value: dt.datetime) -> Any:
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    # ------------------------------------------------------------------ writing

    def sql_type(self, schema: Schema) -> str:
        match schema.name:
            case api.DECIMAL:
                precision = schemas.decimal_precision(schema) or 38
                return f"NUMERIC({precision},{schemas.decimal_scale(schema)})"
            case api.DATE:
                return "DATE"
            case api.TIME:
                return "TIME"
            case api.TIMESTAMP:
                return "TIMESTAMP"
        return {
            api.INT8: "INTEGER",
            api.INT16: "INTEGER",
            api.INT32: "INTEGER",
            api.INT64: "INTEGER",
            api.FLOAT32: "REAL",
            api.FLOAT64: "REAL",
            api.BOOLEAN: "BOOLEAN",
            api.STRING: "TEXT",
            api.BYTES: "BLOB",
        }.get(schema.type, "TEXT")

    def add_column_sql(self, table: TableId, name: str, schema: Schema) -> str:
        return (
            f"ALTER TABLE {self.table_sql(table)} ADD COLUMN "
            f"{self.quote(name)} {self.sql_type(schema)}"
        )

    def bind(self, column: Column, schema: Schema, values: list[Any]) -> list[Any]:
        kinds = set(map(type, values))
        if kinds & {Decimal, dt.date, dt.time, dt.datetime}:
            return [_text(v) for v in values]
        return values


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _precision_scale(declared: str) -> tuple[int | None, int | None]:
    match = re.search(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", declared or "")
    if match is None or not re.search(r"DEC|NUM", declared.upper()):
        return None, None
    return int(match.group(1)), int(match.group(2) or 0)
