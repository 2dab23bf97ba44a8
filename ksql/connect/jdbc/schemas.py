"""Connect schemas the JDBC connectors use: the logical types (Decimal, Date, Time, Timestamp),
a ksql column type as a Connect schema (a sink typing a table from the stream declared on its
topic), and short labels for messages."""

from __future__ import annotations

from typing import Any

from ksql.connect import api
from ksql.connect.api import Schema

PRECISION = "connect.decimal.precision"  # the parameter Confluent's converters write


def primitive(kind: str, optional: bool = True) -> Schema:
    return Schema(kind, optional=optional)


def decimal(scale: int, precision: int | None = None, optional: bool = True) -> Schema:
    parameters = {"scale": str(scale)}
    if precision is not None:
        parameters[PRECISION] = str(precision)
    return Schema(api.BYTES, optional=optional, name=api.DECIMAL, parameters=parameters)


def date(optional: bool = True) -> Schema:
    return Schema(api.INT32, optional=optional, name=api.DATE)


def time(optional: bool = True) -> Schema:
    return Schema(api.INT32, optional=optional, name=api.TIME)


def timestamp(optional: bool = True) -> Schema:
    return Schema(api.INT64, optional=optional, name=api.TIMESTAMP)


def array(element: Schema, optional: bool = True) -> Schema:
    return Schema(api.ARRAY, optional=optional, value_schema=element)


def decimal_scale(schema: Schema) -> int:
    return int(schema.parameters.get("scale", 0))


def decimal_precision(schema: Schema) -> int | None:
    precision = schema.parameters.get(PRECISION)
    return int(precision) if precision is not None else None


def of_sql_type(sql_type: Any) -> Schema:
    """The Connect schema of a ksql `SqlType` (ksql.types), optional as ksql columns are."""
    name = sql_type.name
    simple = {
        "BOOLEAN": api.BOOLEAN,
        "INTEGER": api.INT32,
        "BIGINT": api.INT64,
        "DOUBLE": api.FLOAT64,
        "STRING": api.STRING,
        "BYTES": api.BYTES,
    }
    if name in simple:
        return primitive(simple[name])
    if name == "DATE":
        return date()
    if name == "TIME":
        return time()
    if name == "TIMESTAMP":
        return timestamp()
    if name == "DECIMAL":
        return decimal(sql_type.scale, sql_type.precision)
    if name == "ARRAY":
        return array(of_sql_type(sql_type.element))
    if name == "MAP":
        return Schema(
            api.MAP,
            optional=True,
            key_schema=of_sql_type(sql_type.key),
            value_schema=of_sql_type(sql_type.value),
        )
    if name == "STRUCT":
        return api.struct_schema(
            [(f.name, of_sql_type(f.type)) for f in sql_type.fields], optional=True
        )
    raise ValueError(f"no Connect schema for ksql type {sql_type}")


def label(schema: Schema) -> str:
    """INT32, DECIMAL(10, 2), TIMESTAMP, ARRAY<INT64>, ... for messages."""
    match schema.name:
        case api.DECIMAL:
            precision = decimal_precision(schema)
            scale = decimal_scale(schema)
            return f"DECIMAL({precision}, {scale})" if precision else f"DECIMAL(scale {scale})"
        case api.DATE:
            return "DATE"
        case api.TIME:
            return "TIME"
        case api.TIMESTAMP:
            return "TIMESTAMP"
    if schema.type == api.ARRAY and schema.value_schema is not None:
        return f"ARRAY<{label(schema.value_schema)}>"
    return schema.type.upper()
