"""Values of a row given as JSON over REST (/inserts-stream) coerced to their columns' types as
ksqlDB's SqlValueCoercer does: a number only widens (INT -> BIGINT -> DECIMAL -> DOUBLE) and
must fit its type, so nothing is truncated, narrowed or stored as NULL; anything else is
refused with ksqlDB's message. Types other than numbers and their containers pass unchanged
(the Arrow conversion after this checks them)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from ksql.errors import KsqlError
from ksql.formats.java_text import java_text
from ksql.types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
)

_INT_BOUNDS = {INTEGER: 2**31, BIGINT: 2**63}


class _Refused(Exception):
    """A value (or a part of it) that does not go into its type."""


def coerce_rest_value(value: Any, sql_type: SqlType) -> Any:
    """`value` as a column of `sql_type` stores it; KsqlError when it does not fit."""
    try:
        return _coerce(value, sql_type)
    except _Refused:
        raise KsqlError(
            f"Can't coerce a field of type class {_java_class(value)} ({_java_value(value)}) "
            f"into type {sql_type}"
        ) from None


def _coerce(value: Any, sql_type: SqlType) -> Any:
    if value is None:
        return None
    if sql_type in _INT_BOUNDS:
        bound = _INT_BOUNDS[sql_type]
        if not _is_int(value) or not -bound <= value < bound:
            raise _Refused
        return value
    if sql_type == DOUBLE:
        if not (_is_int(value) or isinstance(value, float)):
            raise _Refused
        return float(value)
    if isinstance(sql_type, DecimalType):
        return _decimal(value, sql_type)
    if isinstance(sql_type, ArrayType) and isinstance(value, list):
        return [_coerce(item, sql_type.element) for item in value]
    if isinstance(sql_type, MapType) and isinstance(value, dict):
        return {key: _coerce(item, sql_type.value) for key, item in value.items()}
    if isinstance(sql_type, StructType) and isinstance(value, dict):
        return {f.name: _coerce(value.get(f.name), f.type) for f in sql_type.fields}
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decimal(value: Any, sql_type: DecimalType) -> Decimal:
    """A number as a DECIMAL of the column's precision and scale, without rounding."""
    if not (_is_int(value) or isinstance(value, float)):
        raise _Refused
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        scaled = exact.quantize(Decimal(1).scaleb(-sql_type.scale))
    except InvalidOperation:
        raise _Refused from None
    if scaled != exact or len(scaled.as_tuple().digits) > sql_type.precision:
        raise _Refused
    return scaled


def _java_class(value: Any) -> str:
    """The Java class Vert.x parses this JSON value into."""
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return "java.lang.Integer"
        return "java.lang.Long" if -(2**63) <= value < 2**63 else "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "io.vertx.core.json.JsonArray"
    return "io.vertx.core.json.JsonObject"


def _java_value(value: Any) -> str:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return java_text(value)
