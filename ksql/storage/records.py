"""The record batch schema exchanged with topic logs, and helpers to build and normalize batches."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER_TYPE = pa.struct([pa.field("key", pa.string()), pa.field("value", pa.binary())])

_RECORDS_SCHEMA = pa.schema(
    [
        pa.field("key", pa.binary()),
        pa.field("value", pa.binary()),
        pa.field("timestamp", pa.int64()),
        pa.field("headers", pa.list_(HEADER_TYPE)),
    ]
)
_READ_SCHEMA = _RECORDS_SCHEMA.append(pa.field("partition", pa.int32())).append(
    pa.field("offset", pa.int64())
)


def records_schema() -> pa.Schema:
    """Schema of batches given to `append` / `produce`: key, value, timestamp, headers."""
    return _RECORDS_SCHEMA


def read_schema() -> pa.Schema:
    """Schema of batches returned by `read`: the record columns plus partition and offset."""
    return _READ_SCHEMA


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def make_records(
    keys: Sequence[bytes | None],
    values: Sequence[bytes | None],
    timestamps: Sequence[int | None] | None = None,
    headers: Sequence[Sequence[tuple[str, bytes | None]] | None] | None = None,
    partitions: Sequence[int | None] | None = None,
) -> pa.RecordBatch:
    """Build a record batch from Python lists (tests, INSERT VALUES, tools; not the hot path).

    A null value is a tombstone; a null timestamp means "now"; `partitions` adds the optional
    `partition` column that `produce` honours.
    """
    n = len(keys)
    if len(values) != n:
        raise ValueError("keys and values must have the same length")
    ts_now = now_ms()
    ts = [ts_now if t is None else int(t) for t in (timestamps or [None] * n)]
    arrays = [
        pa.array(list(keys), pa.binary()),
        pa.array(list(values), pa.binary()),
        pa.array(ts, pa.int64()),
        _headers_array(headers, n),
    ]
    schema = _RECORDS_SCHEMA
    if partitions is not None:
        arrays.append(pa.array(list(partitions), pa.int32()))
        schema = schema.append(pa.field("partition", pa.int32()))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _headers_array(
    headers: Sequence[Sequence[tuple[str, bytes | None]] | None] | None, n: int
) -> pa.Array:
    """The headers column from (key, value) pairs per record, built from flat lists (a list of
    dicts per record costs several times more)."""
    if headers is None:
        return pa.nulls(n, pa.list_(HEADER_TYPE))
    offsets, names, values, valid = [0], [], [], []
    for record in headers:
        if record is None:
            valid.append(False)
        else:
            valid.append(True)
            for name, value in record:
                names.append(name)
                values.append(value)
        offsets.append(len(names))
    entries = pa.StructArray.from_arrays(
        [pa.array(names, pa.string()), pa.array(values, pa.binary())], fields=list(HEADER_TYPE)
    )
    mask = None if all(valid) else pa.array([not v for v in valid], pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), entries, mask=mask)


def normalize(batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
    """Coerce a produced batch to exactly `records_schema()`.

    Missing key/value/headers become nulls, missing or null timestamps become "now" (as a
    Kafka producer stamps CreateTime), other columns (e.g. `partition`) are dropped.
    """
    if isinstance(batch, pa.Table):
        batch = _table_to_batch(batch)
    if batch.schema.equals(_RECORDS_SCHEMA):
        return _compact_null_headers(batch)
    n = batch.num_rows
    names = batch.schema.names
    arrays = []
    for field in _RECORDS_SCHEMA:
        if field.name not in names:
            if field.name == "timestamp":
                arrays.append(
                    pa.array([now_ms()] * n, pa.int64()) if n else pa.array([], pa.int64())
                )
            elif field.name == "headers":
                arrays.append(null_headers(n))
            else:
                arrays.append(pa.nulls(n, field.type))
            continue
        col = batch.column(field.name)
        if not col.type.equals(field.type):
            col = col.cast(field.type)
        if field.name == "timestamp" and col.null_count:
            col = pc.fill_null(col, pa.scalar(now_ms(), pa.int64()))
        arrays.append(col)
    return _compact_null_headers(pa.RecordBatch.from_arrays(arrays, schema=_RECORDS_SCHEMA))


def null_headers(n: int) -> pa.ListArray:
    """All-null headers with empty child arrays.

    `pa.nulls` builds list children as long as the list, and Arrow IPC then writes the whole
    child of even a small slice: megabytes per frame.
    """
    offsets = pa.array(np.zeros(n + 1, dtype=np.int32))
    mask = pa.array(np.ones(n, dtype=np.bool_))
    return pa.ListArray.from_arrays(offsets, pa.array([], HEADER_TYPE), mask=mask)


def _compact_null_headers(batch: pa.RecordBatch) -> pa.RecordBatch:
    headers = batch.column(3)
    n = batch.num_rows
    if n and headers.null_count == n and (headers.offset or len(headers.values)):
        return batch.set_column(3, _RECORDS_SCHEMA.field(3), null_headers(n))
    return batch


def _table_to_batch(table: pa.Table) -> pa.RecordBatch:
    batches = table.combine_chunks().to_batches()
    if not batches:
        return pa.RecordBatch.from_pylist([], schema=table.schema)
    return batches[0]


def python_fields(
    records: pa.RecordBatch | pa.Table,
) -> tuple[list, list, list[int], list[list[tuple[str, bytes]] | None]]:
    """Keys, values, timestamps and headers ((key, value) pairs) of a records batch as Python
    lists, as Kafka clients take them record by record."""
    keys = records.column(0).to_pylist()
    values = records.column(1).to_pylist()
    timestamps = records.column(2).to_numpy().tolist()
    headers_col = records.column(3)
    if headers_col.null_count == len(headers_col):
        return keys, values, timestamps, [None] * len(keys)
    headers = [
        None if h is None else [(e["key"], e["value"]) for e in h] for h in headers_col.to_pylist()
    ]
    return keys, values, timestamps, headers
