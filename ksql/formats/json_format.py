"""JSON: a value is a JSON object keyed by column name, or one bare value when unwrapped."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pyarrow as pa

from ksql.errors import KsqlError
from ksql.formats.base import Columns, DecodeResult, check_map_keys
from ksql.formats.json_decode import decode_json
from ksql.formats.json_encode import encode_json
from ksql.types import ArrayType, MapType, SqlType, StructType


def _string_map_keys_only(sql_type: SqlType) -> None:
    if isinstance(sql_type, MapType):
        if sql_type.key.name != "STRING":
            raise KsqlError("JSON only supports MAP types with STRING keys")
        _string_map_keys_only(sql_type.value)
    elif isinstance(sql_type, ArrayType):
        _string_map_keys_only(sql_type.element)
    elif isinstance(sql_type, StructType):
        for f in sql_type.fields:
            _string_map_keys_only(f.type)


def is_unwrapped(columns: Columns, wrap_single: bool | None) -> bool:
    """A single column is written bare only when wrapping is explicitly off."""
    return len(columns) == 1 and wrap_single is False


@dataclass(frozen=True, slots=True)
class JsonFormat:
    name: str = "JSON"

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None:
        if is_key:
            check_map_keys(columns)
        elif wrap_single is not None and len(columns) != 1:
            raise KsqlError("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
        for _, sql_type in columns:
            _string_map_keys_only(sql_type)

    def decode(self, data: pa.Array, columns: Columns, *, wrap_single: bool | None) -> DecodeResult:
        return decode_json(data, columns, unwrapped=is_unwrapped(columns, wrap_single))

    def encode(self, table, columns: Columns, *, wrap_single: bool | None) -> pa.BinaryArray:
        return encode_json(table, columns, unwrapped=is_unwrapped(columns, wrap_single))

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None:
        """The JSON text of the given tree, as a producer would write it (not reshaped)."""
        if value is None:
            return None
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=_default)

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object:
        if data is None:
            return None
        return orjson.loads(data)


def _default(value: object) -> object:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
