"""NONE: a format that carries no columns; keys or values in the topic are ignored."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ksql.errors import KsqlError
from ksql.formats.base import Columns, DecodeResult, describe_columns, null_table


@dataclass(frozen=True, slots=True)
class NoneFormat:
    name: str = "NONE"

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None:
        if columns:
            raise KsqlError(
                "The 'NONE' format can only be used when no columns are defined. "
                f"Got: [{describe_columns(columns, is_key=is_key)}]"
            )

    def decode(self, data: pa.Array, columns: Columns, *, wrap_single: bool | None) -> DecodeResult:
        return DecodeResult(null_table(len(data), columns), None)

    def encode(self, table, columns: Columns, *, wrap_single: bool | None) -> pa.BinaryArray:
        return pa.nulls(table.num_rows, pa.binary())

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None:
        return None

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object:
        return None
