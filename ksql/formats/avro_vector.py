"""AVRO batches of flat records, decoded and encoded field by field across all records at once.

Applies when the writer schema is a record of `long`, `int`, `double`, `float`, `boolean`,
`string`, `bytes` fields, each possibly in a union with null, and the columns take them with
the trivial conversions of avro_values (a wider number, an integer or boolean as text).
Anything else returns None and the caller decodes or encodes per record, so the results are
the same either way:

- decode: every framed record must carry the same schema id. A record that does not decode
  cleanly here (cut short, a bad varint or branch, invalid UTF-8, an INTEGER out of range) is
  decoded again per record, which gives it the error (or value) it always had.
- encode: the schema written is such a record (decimals as `bytes` with the column's scale
  too), its fields matched to columns as avro_values' record writer does (exact name,
  upper-cased name, then case-insensitively), none with a non-null default, a field outside a
  union never null, a decimal within the schema's precision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.errors import KsqlError
from ksql.formats.avro_wire import (
    Run,
    decimal_bytes,
    gather_binary,
    padded,
    read_fixed,
    read_varint,
    valid_mask,
    validity,
    zigzag,
)
from ksql.formats.base import Columns, DecodeResult, table_column
from ksql.formats.registry_schemas import frame
from ksql.types import DecimalType

_KINDS = ("long", "int", "double", "float", "boolean", "string", "bytes")
# Writer field kinds each column type reads (avro_values.reader), and what it writes from.
_READS = {
    "BOOLEAN": ("boolean",),
    "INTEGER": ("int", "long"),
    "BIGINT": ("int", "long"),
    "TIMESTAMP": ("int", "long"),
    "DOUBLE": ("int", "long", "float", "double"),
    "STRING": ("string", "boolean", "int", "long"),
    "BYTES": ("bytes",),
}
_WRITES = {
    "long": ("BIGINT", "INTEGER"),
    "int": ("INTEGER",),
    "double": ("DOUBLE", "BIGINT", "INTEGER"),
    "boolean": ("BOOLEAN",),
    "string": ("STRING",),
    "bytes": ("BYTES",),
}
_INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True, slots=True)
class _Field:
    kind: str  # an Avro primitive, or "decimal" (bytes)
    null_branch: int | None  # the branch of null in the field's union; None: not a union
    target: int | None  # the column it fills (decode) or None
    decimal: tuple[int, int] | None = None  # precision, scale


@dataclass(slots=True)
class AvroVectors:
    """Plans per (schema id, columns), None where the vectorized path does not apply."""

    _decoders: dict[tuple, list[_Field] | None] = field(default_factory=dict)
    _encoders: dict[tuple, list[tuple[_Field, list[int]]] | None] = field(default_factory=dict)

    def decode(
        self,
        data: pa.Array,
        columns: Columns,
        schema_of: Callable[[int], Any],
        per_record: Callable[[pa.Array], DecodeResult],
    ) -> DecodeResult | None:
        """Wrapped records of one schema as columns; `schema_of(id)` is fastavro's parsed
        writer schema, `per_record` the decoding of the records this cannot decode."""
        if not pa.types.is_binary(data.type):
            data = data.cast(pa.binary())
        buf, starts, ends = padded(data)
        present = valid_mask(data)
        framed = present & (ends - starts >= 5)
        framed &= buf[starts] == 0
        ids = np.zeros(len(data), np.int64)
        for k in range(1, 5):
            ids = (ids << 8) | buf[starts + k]
        found = np.unique(ids[framed])
        if len(found) != 1:
            return None
        schema_id = int(found[0])
        key = (schema_id, tuple(columns))
        if key not in self._decoders:
            try:
                schema = schema_of(schema_id)
            except KsqlError:  # per record: the error rows it gives
                return None
            self._decoders[key] = _decode_plan(schema, columns)
        plan = self._decoders[key]
        if plan is None:
            return None
        pos = np.where(framed, starts + 5, starts)
        arrays, bad = _read_fields(plan, columns, buf, pos, ends, framed)
        bad |= present & ~framed
        schema = pa.schema([pa.field(name, t.arrow()) for name, t in columns])
        table = pa.Table.from_arrays(arrays, schema=schema)
        return _with_redone(table, data, np.flatnonzero(bad), per_record)

    def encode(
        self, table: pa.Table | pa.RecordBatch, columns: Columns, schema_id: int, schema: Any
    ) -> pa.BinaryArray | None:
        """Every row as a record of `schema` (fastavro's parsed form) framed with its id."""
        key = (schema_id, tuple(columns))
        if key not in self._encoders:
            self._encoders[key] = _encode_plan(schema, columns)
        plan = self._encoders[key]
        n = table.num_rows
        if plan is None or n == 0:
            return None
        pieces: list[pa.Array] = []
        run = Run(n)
        run.fixed(np.frombuffer(frame(schema_id, b""), np.uint8).reshape(1, -1))
        for spec, sources in plan:
            if not sources:  # a field no column fills: null (the plan made sure it may be)
                run.varint(zigzag(np.full(n, spec.null_branch)))
                continue
            values = _source(table, columns, sources)
            valid = valid_mask(values)
            if spec.null_branch is not None:
                branch = np.where(valid, 1 - spec.null_branch, spec.null_branch)
                run.varint(zigzag(branch))
            elif not valid.all():  # fastavro's error, per record
                return None
            if spec.kind in ("string", "bytes"):
                binary = values.cast(pa.binary())
                offsets = np.frombuffer(binary.buffers()[1], np.int32, n + 1, binary.offset * 4)
                run.varint(zigzag(np.diff(offsets)), valid)
                pieces += [run.build(), binary.fill_null(b"")]
                run = Run(n)
                continue
            if spec.kind == "decimal":
                assert spec.decimal is not None
                raw, widths, fits = decimal_bytes(values, spec.decimal[0])
                if not fits[valid].all():  # fastavro's error, per record
                    return None
                widths[~valid] = 0
                run.varint(zigzag(widths), valid)
                run.tails(raw, widths)
                continue
            numbers = values.fill_null(False if spec.kind == "boolean" else 0)
            numbers = numbers.to_numpy(zero_copy_only=False)
            if spec.kind == "double":
                run.fixed(numbers.astype("<f8").view(np.uint8).reshape(n, 8), valid)
            elif spec.kind == "boolean":
                run.fixed(numbers.astype(np.uint8).reshape(n, 1), valid)
            else:
                run.varint(zigzag(numbers), valid)
        if run:
            pieces.append(run.build())
        if len(pieces) == 1:
            return pieces[0]
        return pc.binary_join_element_wise(*pieces, pa.scalar(b"", pa.binary()))


# ---------------------------------------------------------------- plans


def _flat_type(schema: Any) -> _Field | None:
    """The field's type when it is one this module reads or writes (its target unset)."""
    if isinstance(schema, list):
        if len(schema) != 2 or "null" not in schema:
            return None
        null_branch = schema.index("null")
        inner = _flat_type(schema[1 - null_branch])
        if inner is None or inner.null_branch is not None:
            return None
        return replace(inner, null_branch=null_branch)
    if isinstance(schema, dict):
        if schema.get("logicalType") == "decimal" and schema.get("type") == "bytes":
            digits = (int(schema["precision"]), int(schema.get("scale", 0)))
            return _Field("decimal", None, None, digits)
        if "logicalType" in schema:
            return None
        schema = schema.get("type")
    return _Field(schema, None, None) if schema in _KINDS else None


def _fields(schema: Any) -> list[tuple[_Field, dict]] | None:
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    out = []
    for entry in schema.get("fields", []):
        flat = _flat_type(entry["type"])
        if flat is None:
            return None
        out.append((flat, entry))
    return out


def _decode_plan(schema: Any, columns: Columns) -> list[_Field] | None:
    fields = _fields(schema)
    if fields is None:
        return None
    index = {name: i for i, (name, _) in enumerate(columns)}
    plan = []
    for spec, entry in fields:
        # avro_values' struct reader: the column named as the field, else its upper case.
        target = index.get(entry["name"], index.get(entry["name"].upper()))
        if target is not None and spec.kind not in _READS.get(columns[target][1].name, ()):
            return None
        plan.append(replace(spec, target=target))
    return plan


def _encode_plan(schema: Any, columns: Columns) -> list[tuple[_Field, list[int]]] | None:
    fields = _fields(schema)
    if fields is None:
        return None
    names = [name for name, _ in columns]
    plan = []
    for spec, entry in fields:
        if entry.get("default") is not None:
            return None
        sources = _sources(entry["name"], names)
        types = {columns[i][1] for i in sources}
        if len(types) > 1 or not all(_writes(spec, t) for t in types):
            return None
        if not sources and spec.null_branch is None:
            return None
        plan.append((spec, sources))
    return plan


def _writes(spec: _Field, sql_type) -> bool:
    """Whether avro_values' writer turns the column's values into the field's unchanged."""
    if spec.kind == "decimal":  # the same scale: its quantize changes nothing
        assert spec.decimal is not None
        return isinstance(sql_type, DecimalType) and sql_type.scale == spec.decimal[1]
    return sql_type.name in _WRITES.get(spec.kind, ())


def _sources(name: str, names: list[str]) -> list[int]:
    """The columns whose first non-null value avro_values' record writer takes for a field."""
    if name in names:
        return [names.index(name)]
    lowered = name.lower()
    first = next((i for i, other in enumerate(names) if other.lower() == lowered), None)
    upper = names.index(name.upper()) if name.upper() in names else None
    return [i for i in dict.fromkeys((upper, first)) if i is not None]


# ---------------------------------------------------------------- decoding


def _read_fields(
    plan: list[_Field],
    columns: Columns,
    buf: np.ndarray,
    pos: np.ndarray,
    ends: np.ndarray,
    alive: np.ndarray,
) -> tuple[list[pa.Array], np.ndarray]:
    """The columns of every alive record (whose bytes start at pos) and the records to redo."""
    bad = np.zeros(len(pos), bool)
    alive = alive.copy()
    decoded: dict[int, tuple[str, Any, np.ndarray]] = {}
    width: np.ndarray | int  # of the value at each position: fixed, or per record

    def settle(rows: np.ndarray, ok: np.ndarray) -> np.ndarray:
        broken = rows & ~ok
        bad[broken] = True
        alive[broken] = False
        return rows & ok

    for spec in plan:
        if spec.null_branch is None:
            has_value = alive.copy()
        else:
            branch, width, ok = read_varint(buf, pos, ends)
            ok &= (branch == 0) | (branch == 1)
            settled = settle(alive, ok)
            pos = np.where(settled, pos + width, pos)
            has_value = settled & (branch != spec.null_branch)
        if spec.kind in ("string", "bytes"):
            length, width, ok = read_varint(buf, pos, ends)
            ok &= (length >= 0) & (length <= ends - pos - width)
            has_value = settle(has_value, ok)
            width = np.where(has_value, width + length, 0)
            value: Any = (pos + width - length, length)
        elif spec.kind in ("double", "float"):
            value, ok = read_fixed(buf, pos, ends, "<f8" if spec.kind == "double" else "<f4")
            has_value = settle(has_value, ok)
            width = 8 if spec.kind == "double" else 4
        elif spec.kind == "boolean":
            value, ok = read_fixed(buf, pos, ends, "u1")
            has_value = settle(has_value, ok & (value <= 1))  # fastavro reads other bytes too
            width = 1
        else:
            value, width, ok = read_varint(buf, pos, ends)
            has_value = settle(has_value, ok)
        pos = np.where(has_value, pos + width, pos)
        if spec.target is not None:  # a later field of the same column replaces it
            decoded[spec.target] = (spec.kind, value, has_value)
    arrays = []
    for i, (_, sql_type) in enumerate(columns):
        if i not in decoded:
            arrays.append(pa.nulls(len(pos), sql_type.arrow()))
            continue
        kind, value, has_value = decoded[i]
        arrays.append(_column(kind, value, has_value, sql_type, buf, bad))
    return arrays, bad


def _column(
    kind: str, value: Any, valid: np.ndarray, sql_type, buf: np.ndarray, bad: np.ndarray
) -> pa.Array:
    """A decoded field as the column's Arrow type (marking values it cannot take in `bad`)."""
    target = sql_type.arrow()
    mask = validity(valid)
    n = len(valid)
    if kind in ("string", "bytes"):
        start, length = value
        binary = gather_binary(buf, start, length, valid)
        if kind == "bytes":
            return binary.cast(pa.binary())
        try:
            return binary.cast(pa.string())
        except pa.ArrowInvalid:  # invalid UTF-8: those records' errors come per record
            for row in np.flatnonzero(valid):
                try:
                    bytes(buf[start[row] : start[row] + length[row]]).decode()
                except UnicodeDecodeError:
                    bad[row] = True
                    valid[row] = False
            return gather_binary(buf, start, length, valid).cast(pa.string())
    if kind == "boolean":
        array = pa.Array.from_buffers(pa.bool_(), n, [mask, _bits(value != 0)])
    elif kind in ("double", "float") or sql_type.name == "DOUBLE":
        # numpy rounds a long as Python's float() does; Arrow's cast refuses what it rounds
        array = pa.Array.from_buffers(pa.float64(), n, [mask, pa.py_buffer(value.astype("f8"))])
    else:
        if sql_type.name == "INTEGER":  # Arrow's refusal of such a value comes per record
            outside = valid & ((value < _INT32[0]) | (value > _INT32[1]))
            bad |= outside
            valid &= ~outside
            mask = validity(valid)
        value = np.where(valid, value, 0)  # casts check what lies under nulls too
        array = pa.Array.from_buffers(pa.int64(), n, [mask, pa.py_buffer(value)])
    if sql_type.name == "TIMESTAMP":
        return array.view(target)
    return array.cast(target)


def _bits(values: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(values, bitorder="little"))


def _with_redone(
    table: pa.Table,
    data: pa.Array,
    redo: np.ndarray,
    per_record: Callable[[pa.Array], DecodeResult],
) -> DecodeResult:
    """The table with the rows at `redo` decoded per record instead."""
    if not len(redo):
        return DecodeResult(table, None)
    n = table.num_rows
    again = per_record(data.take(pa.array(redo)))
    order = np.arange(n)
    order[redo] = n + np.arange(len(redo))
    merged = pa.concat_tables([table, again.table]).take(order).combine_chunks()
    if again.errors is None:
        return DecodeResult(merged, None)
    errors = pa.concat_arrays([pa.nulls(n, pa.string()), again.errors]).take(order)
    return DecodeResult(merged, errors)


# ---------------------------------------------------------------- encoding


def _source(table, columns: Columns, sources: list[int]) -> pa.Array:
    arrays = [table_column(table, columns[i][0]) for i in sources]
    return arrays[0] if len(arrays) == 1 else pc.coalesce(*arrays)
