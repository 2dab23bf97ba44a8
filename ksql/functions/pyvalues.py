"""Arrow values <-> the Python values user functions see (maps as dicts, structs as dicts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa

from ksql.types import ArrayType, DecimalType, MapType, SqlType, StructType


def _has_map(t: SqlType | None) -> bool:
    if isinstance(t, MapType):
        return True
    if isinstance(t, ArrayType):
        return _has_map(t.element)
    if isinstance(t, StructType):
        return any(_has_map(f.type) for f in t.fields)
    return False


def python_value(value: Any, t: SqlType | None) -> Any:
    """One Arrow `to_pylist` value as a user function sees it: maps become dicts."""
    if value is None or not _has_map(t):
        return value
    if isinstance(t, MapType):
        pairs = value.items() if isinstance(value, dict) else value
        return {k: python_value(v, t.value) for k, v in pairs}
    if isinstance(t, ArrayType):
        return [python_value(v, t.element) for v in value]
    if isinstance(t, StructType):
        return {f.name: python_value(value.get(f.name), f.type) for f in t.fields}
    return value


def python_values(array: pa.Array | pa.ChunkedArray, t: SqlType | None) -> list[Any]:
    values = array.to_pylist()
    if not _has_map(t):
        return values
    return [python_value(v, t) for v in values]


def arrow_array(values: list[Any], t: SqlType) -> pa.Array:
    """Python results of a user function as an Arrow array of the declared SQL type."""
    if isinstance(t, DecimalType):  # floats and ints become decimals at the declared scale
        q = Decimal(1).scaleb(-t.scale)
        values = [
            v if v is None else Decimal(str(v) if isinstance(v, float) else v).quantize(q)
            for v in values
        ]
    return pa.array(values, type=t.arrow())


def as_arrow(result: Any, t: SqlType, length: int) -> pa.Array:
    """A vectorized function's result (Arrow array, or a sequence) as an array of type `t`."""
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    if not isinstance(result, pa.Array):
        result = pa.array(list(result), type=t.arrow())
    if len(result) != length:
        raise ValueError(f"a vectorized function returned {len(result)} values for {length} rows")
    return result if result.type == t.arrow() else result.cast(t.arrow())
