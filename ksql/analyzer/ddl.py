"""CREATE STREAM/TABLE (without AS SELECT): column and property checks, building a Source."""

from __future__ import annotations

from typing import Any

from ksql import ast
from ksql.analyzer import properties as P
from ksql.catalog import HEADER, HEADERS, KEY, VALUE, Catalog, Column, Source
from ksql.errors import ParseError, StatementError
from ksql.types import BYTES, STRING, ArrayType, MapType, SqlType, StructField, StructType

HEADERS_TYPE = ArrayType(StructType((StructField("KEY", STRING), StructField("VALUE", BYTES))))
RESERVED = ("ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND")


def contains_map(t: SqlType) -> bool:
    if isinstance(t, MapType):
        return True
    if isinstance(t, ArrayType):
        return contains_map(t.element)
    if isinstance(t, StructType):
        return any(contains_map(f.type) for f in t.fields)
    return False


def check_key_types(columns: list[Column]) -> None:
    for c in columns:
        if c.namespace == KEY and contains_map(c.type):
            raise StatementError(
                "Map keys, including types that contain maps, are not supported as they may "
                "lead to unexpected behavior due to inconsistent serialization. "
                f"Key column name: `{c.name}`. Column type: {c.type}. "
                "See https://github.com/confluentinc/ksql/issues/6621 for more."
            )


def columns_of(stmt: ast.CreateSource, catalog: Catalog) -> list[Column]:
    columns: list[Column] = []
    seen: set[str] = set()
    for el in stmt.elements:
        if el.name in RESERVED:
            raise StatementError(
                f"'{el.name}' is a reserved column name. You cannot use it as a name for a column."
            )
        if el.name in seen:
            raise StatementError(f"Duplicate column names: {el.name}")
        seen.add(el.name)
        t = catalog.resolve_type(el.type)
        constraint = el.constraint
        if constraint == "PRIMARY KEY":
            if stmt.kind == "STREAM":
                raise ParseError(
                    f"Column `{el.name}` is a 'PRIMARY KEY' column: please use 'KEY' for streams."
                )
            namespace = KEY
        elif constraint == "KEY":
            if stmt.kind == "TABLE":
                raise ParseError(
                    f"Column `{el.name}` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n"
                    "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                    "Streams have KEYs, which have no uniqueness or NON NULL constraints."
                )
            namespace = KEY
        elif constraint == "HEADERS":
            if t != HEADERS_TYPE:
                raise StatementError(f"Invalid type for HEADERS column: expected {HEADERS_TYPE}, got {t}")
            namespace = HEADERS
        elif constraint == "HEADER":
            if t != BYTES:
                raise StatementError(
                    f"Invalid type for HEADER('{el.header_key}') column: expected BYTES, got {t}"
                )
            namespace = HEADER
        else:
            namespace = VALUE
        columns.append(Column(el.name, t, namespace, el.header_key))
    return columns


def build_source(
    stmt: ast.CreateSource, text: str, catalog: Catalog, session: dict[str, str]
) -> tuple[Source, dict[str, Any]]:
    """The Source a CREATE STREAM/TABLE declares, and topic settings (partitions, replicas)."""
    props = stmt.properties
    topic = P.prop(props, "KAFKA_TOPIC")
    if topic is None:
        raise StatementError(
            'Missing required property "KAFKA_TOPIC" for CREATE STREAM/TABLE without AS SELECT'
        )
    key_fmt, value_fmt = P.choose_formats(props, session)
    columns = columns_of(stmt, catalog)
    if not stmt.elements:
        raise StatementError("No columns supplied.")
    if stmt.kind == "TABLE" and not any(c.namespace == KEY for c in columns):
        raise StatementError("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
    window = P.window_info(props)
    if window is not None and not any(c.namespace == KEY for c in columns):
        raise StatementError("Windowed sources require a key column.")
    check_key_types(columns)
    ts_column = P.prop(props, "TIMESTAMP")
    ts_format = P.prop(props, "TIMESTAMP_FORMAT")
    if ts_column is not None:
        ts_column = str(ts_column)
        ts_column = ts_column[1:-1] if ts_column.startswith("`") else ts_column.upper()
        found = next((c for c in columns if c.name == ts_column), None)
        if found is None:
            raise StatementError(
                f"The TIMESTAMP column set in the WITH clause does not exist in the schema: '{ts_column}'"
            )
    source = Source(
        name=stmt.name,
        kind=stmt.kind,
        topic=str(topic),
        columns=tuple(columns),
        key_format=key_fmt,
        value_format=value_fmt,
        timestamp_column=ts_column,
        timestamp_format=None if ts_format is None else str(ts_format),
        window=window,
        wrap_single_value=P.wrap_single_value(
            props, session, sum(1 for c in columns if c.namespace == VALUE)
        ),
        is_source=stmt.is_source,
        sql=text,
    )
    topic_settings = {
        "partitions": P.int_property(props, "PARTITIONS"),
        "replicas": P.int_property(props, "REPLICAS", "SHORT"),
    }
    return source, topic_settings
