"""Typed Arrow rows -> raw topic records (key bytes, value bytes, timestamp) for a sink."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import Source
from ksql.formats.json_encode import json_text_sql
from ksql.formats.json_format import is_unwrapped
from ksql.runtime.decode import source_formats
from ksql.types import DecimalType, PrimitiveType, quote_identifier

# Value types whose JSON text DuckDB writes the same from a query's column as from the Arrow
# column the sink encoder is given (SinkEncoder.value_sql).
_SQL_ENCODED = {"BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "STRING"}


class SinkEncoder:
    """Encodes query output rows in the sink's key and value formats."""

    def __init__(self, sink: Source, *, null_keys: bool = True, registry=None) -> None:
        """null_keys: a key whose columns are all null is written as a null key (pass-through
        keys); a computed multi-column key (PARTITION BY) is written as it is.
        registry: the schema registry (TopicLog.schema_registry) for AVRO and the like."""
        self.sink = sink
        self.null_keys = null_keys
        self.key_columns = [(c.name, c.type) for c in sink.key_columns]
        self.value_columns = [(c.name, c.type) for c in sink.value_columns]
        self.key_format, self.value_format = source_formats(sink, registry)

    def value_sql(self) -> str | None:
        """A DuckDB expression for the value text over columns named as the sink's value
        columns, for a query that encodes values itself (None: this sink's values are not
        JSON of flat types). encode(values=...) then takes that query's output."""
        if self.sink.value_format.name.upper() != "JSON" or not self.value_columns:
            return None
        if not all(
            isinstance(t, DecimalType) or (isinstance(t, PrimitiveType) and t.name in _SQL_ENCODED)
            for _, t in self.value_columns
        ):
            return None
        # Cast to the declared types, as the rows encode() takes are cast (a no-op mostly).
        refs = [f"CAST({quote_identifier(name)} AS {t.duckdb()})" for name, t in self.value_columns]
        unwrapped = is_unwrapped(self.value_columns, self.sink.wrap_single_value)
        return f"CAST({json_text_sql(self.value_columns, refs, unwrapped=unwrapped)} AS VARCHAR)"

    def encode(
        self,
        rows: pa.Table,
        timestamps: pa.Array,
        tombstones: pa.Array | None = None,
        window: tuple[pa.Array, pa.Array] | None = None,
        values: pa.Array | None = None,
    ) -> pa.Table:
        """Records ready for TopicLog.produce; tombstones (bool mask) get null values;
        `window` (starts, ends in ms) is appended to windowed keys as Kafka Streams does.
        `values`: the value texts, when the query computed them with value_sql()."""
        n = rows.num_rows
        if self.key_columns:
            key_rows = rows.select([name for name, _ in self.key_columns])
            keys = self.key_format.encode(key_rows, self.key_columns, wrap_single=False)
            if self.null_keys:
                all_null = None
                for column in key_rows.columns:
                    missing = pc.is_null(column)
                    all_null = missing if all_null is None else pc.and_(all_null, missing)
                keys = pc.if_else(all_null, pa.scalar(None, keys.type), keys)
        else:
            keys = pa.nulls(n, pa.binary())
        if window is not None and self.sink.window is not None:
            keys = windowed_keys(keys, window, session=self.sink.window.kind == "SESSION")
        if values is None:
            values = self.value_format.encode(
                rows.select([name for name, _ in self.value_columns]),
                self.value_columns,
                wrap_single=self.sink.wrap_single_value,
            )
        else:
            values = values.cast(pa.binary())
        if tombstones is not None:
            values = pc.if_else(tombstones, pa.scalar(None, pa.binary()), values)
        headers = pa.nulls(n, pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())])))
        return pa.table(
            {"key": keys, "value": values, "timestamp": timestamps.cast(pa.int64()), "headers": headers}
        )


def _int64_be(values: pa.Array) -> pa.Array:
    """Each int64 as its 8 big-endian bytes."""
    data = np.asarray(values.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=">i8")
    offsets = np.arange(0, 8 * (len(data) + 1), 8, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())])


def windowed_keys(keys: pa.Array, window: tuple[pa.Array, pa.Array], *, session: bool) -> pa.Array:
    """Time windows: key + start (8 bytes); session windows: key + end + start."""
    starts, ends = window
    keys = pc.fill_null(keys.cast(pa.binary()), b"")
    parts = [keys, _int64_be(ends), _int64_be(starts)] if session else [keys, _int64_be(starts)]
    return pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.binary()))


def join_windowed_key(key: bytes, start_ms: int, end_ms: int, *, session: bool) -> bytes:
    """One key with its window, as windowed_keys builds them for a batch."""
    bounds = (end_ms, start_ms) if session else (start_ms,)
    return key + b"".join(b.to_bytes(8, "big", signed=True) for b in bounds)


def split_windowed_key(data: bytes, *, session: bool) -> tuple[bytes, int, int | None]:
    """Inverse of windowed_keys for one key: (key bytes, start ms, end ms or None)."""
    if session:
        return data[:-16], int.from_bytes(data[-8:], "big", signed=True), int.from_bytes(data[-16:-8], "big", signed=True)
    return data[:-8], int.from_bytes(data[-8:], "big", signed=True), None
