"""Raw topic records -> typed Arrow rows of a source (key, value, headers, pseudo columns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import HEADER, HEADERS, Source
from ksql.formats.base import Format, get_format
from ksql.types import BIGINT, TIMESTAMP

# Set on table records whose value is null (a tombstone), when asked for.
DELETED = "__DELETED"


@dataclass(frozen=True, slots=True)
class Decoded:
    """Rows that decoded, and (offset, partition, reason) for those that did not."""

    table: pa.Table
    errors: list[tuple[int, int, str]]


def source_formats(source: Source, registry=None) -> tuple[Format, Format]:
    """The key and value formats of a source's topic."""
    key, value = source.key_format, source.value_format
    return (
        get_format(key.name, key.properties, registry=registry, topic=source.topic, is_key=True),
        get_format(value.name, value.properties, registry=registry, topic=source.topic),
    )


def _format_columns(columns) -> list[tuple[str, object]]:
    return [(c.name, c.type) for c in columns]


class SourceDecoder:
    """Decodes batches of one source's topic; built once per query."""

    def __init__(self, source: Source, registry=None) -> None:
        """registry: the schema registry (TopicLog.schema_registry) for AVRO and the like."""
        self.source = source
        self.key_columns = _format_columns(source.key_columns)
        self.value_columns = _format_columns(source.value_columns)
        self.key_format, self.value_format = source_formats(source, registry)

    def decode(self, records: pa.RecordBatch | pa.Table) -> Decoded:
        source = self.source
        if isinstance(records, pa.RecordBatch):
            records = pa.Table.from_batches([records])
        errors: list[tuple[int, int, str]] = []
        if source.is_table and source.key_columns:
            # Tables ignore records without a key.
            records = records.filter(pc.is_valid(records.column("key")))
        window_bounds = None
        if source.window is not None:
            raw_keys, window_bounds = split_window_keys(
                records.column("key").combine_chunks(), source.window
            )
            records = records.set_column(records.schema.get_field_index("key"), "key", raw_keys)
        n = records.num_rows
        arrays: dict[str, pa.ChunkedArray | pa.Array] = {}
        bad = None

        key_result = self.key_format.decode(
            records.column("key").combine_chunks(), self.key_columns, wrap_single=False
        )
        for name, _ in self.key_columns:
            arrays[name] = key_result.table.column(name)
        bad = _merge_errors(bad, key_result.errors)

        value_result = self.value_format.decode(
            records.column("value").combine_chunks(),
            self.value_columns,
            wrap_single=source.wrap_single_value,
        )
        for name, _ in self.value_columns:
            arrays[name] = value_result.table.column(name)
        bad = _merge_errors(bad, value_result.errors)

        for column in source.header_columns:
            arrays[column.name] = _header_column(records.column("headers"), column)

        arrays["ROWTIME"] = records.column("timestamp")
        arrays["ROWPARTITION"] = records.column("partition")
        arrays["ROWOFFSET"] = records.column("offset")
        ordered = {c.name: arrays[c.name] for c in source.columns}
        ordered.update({k: arrays[k] for k in ("ROWTIME", "ROWPARTITION", "ROWOFFSET")})
        if window_bounds is not None:
            ordered["WINDOWSTART"], ordered["WINDOWEND"] = window_bounds
        # Records without a value: table deletes; streams pass them on as null values.
        ordered[DELETED] = pc.is_null(records.column("value"))
        table = pa.table(ordered) if n else decoded_schema(source).empty_table()

        if source.timestamp_column is not None:
            table, ts_errors = _apply_timestamp_column(table, source)
            bad = _merge_errors(bad, ts_errors)

        if bad is not None and bad.null_count < len(bad):
            failed = pc.is_valid(bad)
            rows = table.filter(failed)
            reasons = bad.filter(failed).to_pylist()
            offs = rows.column("ROWOFFSET").to_pylist()
            parts = rows.column("ROWPARTITION").to_pylist()
            errors = list(zip(parts, offs, reasons, strict=True))
            table = table.filter(pc.invert(failed))
        return Decoded(table, errors)


def _int64_from_be(data: pa.Array) -> np.ndarray:
    fixed = data.cast(pa.binary(8))
    return np.frombuffer(fixed.buffers()[1], dtype=">i8", count=len(fixed), offset=fixed.offset * 8).astype(np.int64)


def split_window_keys(keys: pa.Array, window) -> tuple[pa.Array, tuple[pa.Array, pa.Array]]:
    """Windowed keys -> (plain keys, (WINDOWSTART, WINDOWEND)); see encode.windowed_keys."""
    keys = pc.fill_null(keys, b"\0" * 16)
    if window.kind == "SESSION":
        raw = pc.binary_slice(keys, 0, -16)
        ends = _int64_from_be(pc.binary_slice(keys, -16, -8))
        starts = _int64_from_be(pc.binary_slice(keys, -8))
    else:
        raw = pc.binary_slice(keys, 0, -8)
        starts = _int64_from_be(pc.binary_slice(keys, -8))
        ends = starts + (window.size_ms or 0)
    return raw, (pa.array(starts, pa.int64()), pa.array(ends, pa.int64()))


def decoded_schema(source: Source) -> pa.Schema:
    """The columns a decoded batch of `source` has (when it has no rows, too)."""
    fields = [pa.field(c.name, c.type.arrow()) for c in source.columns]
    if source.window is not None:
        fields += [pa.field("WINDOWSTART", pa.int64()), pa.field("WINDOWEND", pa.int64())]
    fields += [
        pa.field("ROWTIME", pa.int64()),
        pa.field("ROWPARTITION", pa.int32()),
        pa.field("ROWOFFSET", pa.int64()),
        pa.field(DELETED, pa.bool_()),
    ]
    return pa.schema(fields)


def _merge_errors(current: pa.Array | None, new: pa.Array | None) -> pa.Array | None:
    if new is None:
        return current
    if isinstance(new, pa.ChunkedArray):
        new = new.combine_chunks()
    if current is None:
        return new
    return pc.coalesce(current, new)


def _header_column(headers: pa.ChunkedArray, column) -> pa.Array:
    """HEADERS: the whole list as ARRAY<STRUCT<KEY, VALUE>>; HEADER('k'): the last value of k."""
    headers = headers.combine_chunks()
    target = column.type.arrow()
    if column.namespace == HEADERS:
        flat = headers.flatten()
        renamed = pa.StructArray.from_arrays(
            [flat.field("key"), flat.field("value")], names=["KEY", "VALUE"]
        )
        # A Kafka record always has a header list: none read back as null is an empty one.
        lists = pa.ListArray.from_arrays(headers.offsets, renamed)
        return pc.if_else(headers.is_null(), pa.scalar([], lists.type), lists).cast(target)
    assert column.namespace == HEADER
    # Per-row scan of usually tiny header lists: headers are rare and small.
    values = []
    for row in headers.to_pylist():
        found = None
        for h in row or ():
            if h["key"] == column.header_key:
                found = h["value"]
        values.append(found)
    return pa.array(values, pa.binary())


def _apply_timestamp_column(table: pa.Table, source: Source) -> tuple[pa.Table, pa.Array | None]:
    """ROWTIME from the TIMESTAMP column; rows with a null or negative one are errors."""
    column = source.column(source.timestamp_column)  # type: ignore[arg-type]
    values = table.column(column.name).combine_chunks()
    if column.type == TIMESTAMP:
        ms = values.cast(pa.int64())
    elif column.type == BIGINT:
        ms = values
    else:
        from ksql.runtime.timestamps import parse_timestamp_strings

        ms = parse_timestamp_strings(values, source.timestamp_format)
    invalid = pc.or_kleene(pc.is_null(ms), pc.less(pc.fill_null(ms, 0), 0))
    reason = pc.if_else(
        invalid,
        pa.scalar(f"Invalid timestamp in column {column.name}", pa.string()),
        pa.scalar(None, pa.string()),
    )
    index = table.schema.get_field_index("ROWTIME")
    table = table.set_column(index, "ROWTIME", pc.fill_null(ms, 0))
    return table, reason
