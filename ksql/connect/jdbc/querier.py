"""Reads one table (or the configured query) in the source's mode and turns rows into records.

Incremental modes read with keyset pagination: `WHERE` past the last offset, `ORDER BY` the
offset columns, `LIMIT batch.max.rows`, so that every query restarts exactly where the stored
offset says. In timestamp mode rows sharing a timestamp have one offset between them, so a
batch never ends inside such a group: the group at the end of a full batch is read whole by a
second query. Bulk mode reads the whole relation through one cursor, `batch.max.rows` at a time.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectError, Schema, SourceRecord
from ksql.connect.jdbc import schemas, values
from ksql.connect.jdbc.dialects import Column, Dialect, TableId
from ksql.connect.jdbc.source_config import (
    BULK,
    INCREMENTING,
    TIMESTAMP,
    TIMESTAMP_INCREMENTING,
    SourceSettings,
)

# The Connect type of a value, for columns whose type the database does not tell.
_KIND_OF = {bool: api.BOOLEAN, int: api.INT64, float: api.FLOAT64, bytes: api.BYTES}
# Where timestamp queries start when nothing was read and timestamp.initial is not set.
BEGINNING = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def offset_order(mode: str, offset: Mapping[str, Any]) -> Any:
    """A key that grows with the offsets of one table in `mode`; None in bulk mode."""
    increment = offset.get("incrementing")
    nanos = None
    if "timestamp" in offset:
        milliseconds = int(offset["timestamp"])
        fraction = offset.get("timestamp_nanos")
        fraction = (milliseconds % 1000) * 1_000_000 if fraction is None else int(fraction)
        nanos = (milliseconds // 1000) * 1_000_000_000 + fraction
    if mode == INCREMENTING:
        return increment
    if mode == TIMESTAMP:
        return nanos
    if mode == TIMESTAMP_INCREMENTING and nanos is not None and increment is not None:
        return (nanos, increment)
    return None


class Querier:
    """One table's (or the query's) reading state: what was read last and when to read next."""

    def __init__(
        self,
        dialect: Dialect,
        settings: SourceSettings,
        table: TableId | None,
        offset: Mapping[str, Any] | None,
    ) -> None:
        self.dialect = dialect
        self.settings = settings
        self.table = table
        if table is None:
            self.name = "the query"
            self.partition: dict[str, Any] = {"query": "query"}
            self.topic = settings.topic_prefix
            self.relation = f"({dialect.embed(settings.query)}) AS ksql_query"
        else:
            self.name = f"table {dialect.display_name(table)}"
            self.partition = {"table": dialect.display_name(table)}
            self.topic = settings.topic_prefix + table.name
            self.relation = dialect.table_sql(table)
        self.next_due = 0.0  # time.monotonic() after which to read again
        self.cursor: Any = None  # bulk mode: the cursor of the round in progress
        self._columns: list[Column] | None = None
        self._schemas: list[Schema | None] = []
        self._value_schema: Schema | None = None
        self._converters: list[values.Converter] = []
        self._to_timestamp = values.converter(schemas.timestamp())
        self._increment_index = -1
        self._timestamp_indexes: list[int] = []
        offset = offset or {}
        self.last_increment = int(offset.get("incrementing", -1))
        self.last_timestamp = self._initial_timestamp(offset)

    def _initial_timestamp(self, offset: Mapping[str, Any]) -> dt.datetime:
        if "timestamp" in offset:
            return values.offset_to_timestamp(
                int(offset["timestamp"]), offset.get("timestamp_nanos")
            )
        initial = self.settings.values["timestamp.initial"]
        if initial is None:
            return BEGINNING
        if initial == -1:
            return dt.datetime.now(dt.UTC)
        return values.EPOCH + dt.timedelta(milliseconds=initial)

    # ------------------------------------------------------------------ reading

    def read(self, conn: Any, batch_rows: int) -> list[SourceRecord]:
        """The next records (at most `batch_rows`, more to finish a timestamp group); sets
        `next_due` to now when more are waiting, else one poll interval ahead."""
        if self._columns is None:
            self._prepare(conn)
        if self.settings.mode == BULK:
            rows = self._read_bulk(conn, batch_rows)
            more = self.cursor is not None
        else:
            rows, more = self._read_incremental(conn, batch_rows)
        interval = self.settings.values["poll.interval.ms"] / 1000
        self.next_due = time.monotonic() + (0.0 if more else interval)
        return self._records(rows)

    def close(self, conn: Any) -> None:
        if self.cursor is not None:
            cursor, self.cursor = self.cursor, None
            self.dialect.close_cursor(conn, cursor)

    def _read_bulk(self, conn: Any, batch_rows: int) -> list[tuple]:
        if self.cursor is None:
            self.cursor = self.dialect.open_cursor(conn, f"SELECT * FROM {self.relation}")
        rows = self.cursor.fetchmany(batch_rows)
        if len(rows) < batch_rows:
            self.close(conn)
        return rows

    def _read_incremental(self, conn: Any, batch_rows: int) -> tuple[list[tuple], bool]:
        d, p = self.dialect, self.dialect.param
        names = [c.name for c in self._columns or []]
        increment = d.quote(names[self._increment_index]) if self._increment_index >= 0 else ""
        stamps = [d.quote(names[i]) for i in self._timestamp_indexes]
        stamp = d.timestamp_sql(stamps[0] if len(stamps) == 1 else f"COALESCE({', '.join(stamps)})")
        mode = self.settings.mode
        if mode == INCREMENTING:
            where, params, order = f"{increment} > {p}", [self.last_increment], increment
        else:
            end = d.now(conn) - dt.timedelta(
                milliseconds=self.settings.values["timestamp.delay.interval.ms"]
            )
            last, end = self._timestamp_param(self.last_timestamp), self._timestamp_param(end)
            if mode == TIMESTAMP:
                where, params, order = f"{stamp} > {p} AND {stamp} < {p}", [last, end], stamp
            else:
                where = (
                    f"{stamp} < {p} AND ({stamp} > {p} OR ({stamp} = {p} AND {increment} > {p}))"
                )
                params = [end, last, last, self.last_increment]
                order = f"{stamp}, {increment}"
        sql = f"SELECT * FROM {self.relation} WHERE {where} ORDER BY {order} LIMIT {batch_rows}"
        rows = d.query(conn, sql, params)
        full = len(rows) == batch_rows
        if mode == TIMESTAMP and full:
            rows = self._finish_group(conn, rows, stamp)
        d.end_read(conn)
        return rows, full

    def _finish_group(self, conn: Any, rows: list[tuple], stamp: str) -> list[tuple]:
        """`rows` without the group of the last timestamp, then that group read whole."""
        group = self._timestamp_param(self._row_timestamp(rows[-1]))
        kept = [r for r in rows if self._timestamp_param(self._row_timestamp(r)) != group]
        sql = f"SELECT * FROM {self.relation} WHERE {stamp} = {self.dialect.param}"
        return kept + self.dialect.query(conn, sql, [group])

    # ------------------------------------------------------------------ rows to records

    def _records(self, rows: list[tuple]) -> list[SourceRecord]:
        if not rows:
            return []
        if self._value_schema is None:
            self._settle_schema(rows)
        columns = []
        for column, converter, raw in zip(self._columns or [], self._converters, zip(*rows)):
            converted, errors = converter.column(list(raw))
            if errors:
                raise ConnectError(
                    f"Cannot read column {column.name} of {self.name}: "
                    f"{next(iter(errors.values()))}"
                )
            columns.append(converted)
        names = [c.name for c in self._columns or []]
        records = []
        for row in zip(*columns):
            record = SourceRecord(
                topic=self.topic,
                value=dict(zip(names, row)),
                value_schema=self._value_schema,
                source_partition=self.partition,
                source_offset=self._advance(row),
            )
            records.append(record)
        return records

    def _advance(self, row: tuple) -> dict[str, Any]:
        """The offset after `row` (a converted row), remembered as the last one read. A NULL
        offset column (validate.non.null=false) keeps the offset where it was."""
        offset: dict[str, Any] = {}
        if self.settings.uses_incrementing:
            if row[self._increment_index] is not None:
                self.last_increment = int(row[self._increment_index])
            offset["incrementing"] = self.last_increment
        if self.settings.uses_timestamp:
            stamp = next((row[i] for i in self._timestamp_indexes if row[i] is not None), None)
            if stamp is not None:
                self.last_timestamp = stamp
            milliseconds, nanos = values.timestamp_to_offset(self.last_timestamp)
            offset["timestamp"], offset["timestamp_nanos"] = milliseconds, nanos
        return offset

    def _row_timestamp(self, row: tuple) -> dt.datetime:
        """The timestamp of a row as the driver returned it."""
        for index in self._timestamp_indexes:
            if row[index] is not None:
                return self._to_timestamp.convert(row[index])
        return BEGINNING

    def _timestamp_param(self, value: dt.datetime) -> Any:
        assert self._columns is not None
        return self.dialect.timestamp_param(self._columns[self._timestamp_indexes[0]], value)

    # ------------------------------------------------------------------ columns

    def _prepare(self, conn: Any) -> None:
        """Read the columns, find the offset columns and check them (ConfigError)."""
        d = self.dialect
        if self.table is None:
            columns = d.query_columns(conn, d.embed(self.settings.query))
        else:
            found = d.columns(conn, self.table)
            if found is None:
                raise ConnectError(f"Cannot read {self.name}: it does not exist")
            columns = found
        d.end_read(conn)
        if self.settings.uses_incrementing:
            self._increment_index = self._find_increment(columns)
        if self.settings.uses_timestamp:
            self._timestamp_indexes = [
                self._find(columns, name, "timestamp.column.name")
                for name in self.settings.timestamp_columns
            ]
        if self.table is not None and self.settings.values["validate.non.null"]:
            self._check_not_null(columns)
        self._columns = columns
        self._schemas = [d.connect_schema(c) for c in columns]
        # Offset columns the database gave no type (SQLite expressions) are what they must be.
        for index in self._timestamp_indexes:
            self._schemas[index] = self._schemas[index] or schemas.timestamp()
        if self._increment_index >= 0:
            index = self._increment_index
            self._schemas[index] = self._schemas[index] or schemas.primitive(api.INT64)
        if all(s is not None for s in self._schemas):
            self._build(self._schemas)  # type: ignore[arg-type]

    def _find(self, columns: list[Column], name: str, key: str) -> int:
        for exact in (True, False):
            for index, column in enumerate(columns):
                if column.name == name or (not exact and column.name.lower() == name.lower()):
                    return index
        raise ConfigError(
            f"Invalid value {name} for configuration {key}: {self.name} has no column {name} "
            f"(its columns: {', '.join(c.name for c in columns)})"
        )

    def _find_increment(self, columns: list[Column]) -> int:
        if self.settings.incrementing_column:
            name = self.settings.incrementing_column
            return self._find(columns, name, "incrementing.column.name")
        found = [i for i, c in enumerate(columns) if c.auto_increment]
        if len(found) != 1:
            what = "no auto-incrementing column" if not found else "several of them"
            raise ConfigError(
                f"Cannot find the auto-incrementing column of {self.name} ({what}): "
                "set incrementing.column.name"
            )
        return found[0]

    def _check_not_null(self, columns: list[Column]) -> None:
        table = self.partition["table"]
        if self._increment_index >= 0 and columns[self._increment_index].nullable:
            raise ConfigError(
                "Cannot make incremental queries using incrementing column "
                f"{columns[self._increment_index].name} on {table} because this column is "
                "nullable (or set validate.non.null=false)."
            )
        stamps = [columns[i] for i in self._timestamp_indexes]
        if stamps and all(c.nullable for c in stamps):
            raise ConfigError(
                "Cannot make incremental queries using timestamp columns "
                f"[{', '.join(c.name for c in stamps)}] on {table} because all of these columns "
                "are nullable (or set validate.non.null=false)."
            )

    def _settle_schema(self, rows: list[tuple]) -> None:
        """Columns whose type the database does not tell take the type of their values."""
        settled = []
        for index, schema in enumerate(self._schemas):
            if schema is None:
                sample = next((r[index] for r in rows if r[index] is not None), None)
                schema = schemas.primitive(_KIND_OF.get(type(sample), api.STRING))
            settled.append(schema)
        self._build(settled)

    def _build(self, column_schemas: list[Schema]) -> None:
        assert self._columns is not None
        self._schemas = list(column_schemas)
        self._converters = [values.converter(s) for s in column_schemas]
        name = self.table.name if self.table is not None else None
        self._value_schema = api.struct_schema(
            [(c.name, s) for c, s in zip(self._columns, column_schemas)], name=name
        )
