"""SQL types as ksqlDB's REST entities describe them: SchemaInfo and FieldInfo."""

from __future__ import annotations

from typing import Any

from ksql.catalog import HEADER, HEADERS, KEY, Column
from ksql.types import ArrayType, DecimalType, MapType, SqlType, StructType

_NAMES = {"INT": "INTEGER", "VARCHAR": "STRING"}


def schema_info(sql_type: SqlType) -> dict[str, Any]:
    """{"type", "fields", "memberSchema"} (+ "parameters" for DECIMAL)."""
    info: dict[str, Any] = {"type": _NAMES.get(sql_type.name, sql_type.name)}
    fields = None
    member = None
    if isinstance(sql_type, StructType):
        info["type"] = "STRUCT"
        fields = [{"name": f.name, "schema": schema_info(f.type)} for f in sql_type.fields]
    elif isinstance(sql_type, ArrayType):
        info["type"] = "ARRAY"
        member = schema_info(sql_type.element)
    elif isinstance(sql_type, MapType):
        info["type"] = "MAP"
        member = schema_info(sql_type.value)
    info["fields"] = fields
    info["memberSchema"] = member
    if isinstance(sql_type, DecimalType):
        info["type"] = "DECIMAL"
        info["parameters"] = {"precision": sql_type.precision, "scale": sql_type.scale}
    return info


def field_info(column: Column) -> dict[str, Any]:
    """A source column; `type` is present only for KEY and HEADER columns, as in ksqlDB."""
    out: dict[str, Any] = {"name": column.name, "schema": schema_info(column.type)}
    if column.namespace == KEY:
        out["type"] = "KEY"
    elif column.namespace in (HEADER, HEADERS):
        out["type"] = "HEADER"
        if column.header_key is not None:
            out["headerKey"] = column.header_key
    return out
