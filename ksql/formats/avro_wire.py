"""Numpy kernels for Avro's binary encoding, applied to one field of every record of a batch.

Reading works on one padded byte array (a batch's concatenated records) and an int64 position
per record: `read_varint` decodes zig-zag varints, `read_fixed` little-endian numbers, and
`gather_binary` turns (start, length) ranges into an Arrow binary array through a binary view
array (Arrow does the copy). Reads may look past a record's end, never past the padding; the
`ok` masks say which records held the whole value.

Writing builds runs of records' bytes: a `Run` collects varints and fixed-width values per
record, lays them out with offsets and returns one Arrow binary array. `decimal_bytes` gives
the big-endian bytes fastavro writes for a decimal128 array's unscaled values.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Bytes readable past the last record: a varint's 10 bytes, a view's 12-byte inline gather.
PAD = 16
# A 64-bit varint has at most 10 bytes; fastavro's reading of longer ones is not ours to copy.
_MAX_VARINT = 10
_SHIFTS = [np.uint64(7 * k) for k in range(_MAX_VARINT)]
_LIMITS = [np.uint64(1) << np.uint64(7 * k) for k in range(1, _MAX_VARINT)]


def padded(data: pa.BinaryArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bytes of all records plus PAD zeros, start and end of each record in them)."""
    n = len(data)
    offsets = np.frombuffer(data.buffers()[1], np.int32, n + 1, data.offset * 4).astype(np.int64)
    base = int(offsets[0])
    size = int(offsets[-1]) - base
    buf = np.zeros(size + PAD, np.uint8)
    if size:
        buf[:size] = np.frombuffer(data.buffers()[2], np.uint8, size, base)
    offsets -= base
    return buf, offsets[:-1], offsets[1:]


def read_varint(
    buf: np.ndarray, pos: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zig-zag decoded int64, byte count, ok) of the varint at each position."""
    byte = buf[pos]
    acc = (byte & 0x7F).astype(np.uint64)
    width = np.ones(len(pos), np.int64)
    more = byte >= 0x80
    for k in range(1, _MAX_VARINT):
        rows = np.flatnonzero(more)
        if not len(rows):
            break
        byte = buf[pos[rows] + k]
        acc[rows] |= (byte & 0x7F).astype(np.uint64) << _SHIFTS[k]
        width[rows] += 1
        more[rows] = byte >= 0x80
    ok = ~more & (pos + width <= ends)
    value = (acc >> np.uint64(1)).view(np.int64) ^ -(acc & np.uint64(1)).view(np.int64)
    return value, width, ok


def read_fixed(
    buf: np.ndarray, pos: np.ndarray, ends: np.ndarray, dtype: str
) -> tuple[np.ndarray, np.ndarray]:
    """(values of the little-endian `dtype` at each position, ok)."""
    width = np.dtype(dtype).itemsize
    raw = buf[pos[:, None] + np.arange(width)]
    return raw.view(dtype).reshape(len(pos)), pos + width <= ends


def gather_binary(
    buf: np.ndarray, start: np.ndarray, length: np.ndarray, valid: np.ndarray
) -> pa.Array:
    """A binary_view array of buf[start:start + length] per record (null where not valid);
    values of up to 12 bytes are inline in their view, longer ones point into buf."""
    n = len(start)
    start = np.where(valid, start, 0)
    length = np.where(valid, length, 0)
    head = buf[start[:, None] + np.arange(12)]
    head[np.arange(12) >= length[:, None]] = 0
    views = np.zeros((n, 16), np.uint8)
    views[:, 4:] = head
    words = views.view(np.int32)
    words[:, 0] = length
    long = np.flatnonzero(length > 12)
    words[long, 2] = 0  # the prefix stays: bytes 4..8 are the value's first four
    words[long, 3] = start[long]
    buffers = [validity(valid), pa.py_buffer(views), pa.py_buffer(buf)]
    return pa.Array.from_buffers(pa.binary_view(), n, buffers)


def valid_mask(array: pa.Array) -> np.ndarray:
    if not array.null_count:
        return np.ones(len(array), bool)
    return array.is_valid().to_numpy(zero_copy_only=False)


def validity(valid: np.ndarray) -> pa.Buffer | None:
    """Arrow's validity bitmap of a mask (None when all are valid)."""
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def zigzag(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.int64, copy=False)
    return ((values << 1) ^ (values >> 63)).view(np.uint64)


class Run:
    """The bytes of consecutive fixed-size and varint values, one entry per record."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._items: list[tuple[str, np.ndarray, np.ndarray]] = []

    def __bool__(self) -> bool:
        return bool(self._items)

    def fixed(self, raw: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Bytes `raw` (records x width, or one row for all) written where `mask` is set."""
        widths = np.full(self.n, raw.shape[1], np.int64)
        if mask is not None:
            widths[~mask] = 0
        self._items.append(("fixed", raw, widths))

    def tails(self, raw: np.ndarray, widths: np.ndarray) -> None:
        """The last widths[i] bytes of each row of `raw` (records x width)."""
        self._items.append(("tails", raw, widths))

    def varint(self, unsigned: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Varints of zig-zagged values (see `zigzag`) written where `mask` is set."""
        widths = np.ones(self.n, np.int64)
        for limit in _LIMITS:
            widths += unsigned >= limit
        if mask is not None:
            widths[~mask] = 0
        self._items.append(("varint", unsigned, widths))

    def build(self) -> pa.Array:
        lengths = sum(widths for _, _, widths in self._items)
        offsets = np.zeros(self.n + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if offsets[-1] >= 2**31:
            raise OverflowError("a batch of Avro records over 2 GiB")
        out = np.empty(int(offsets[-1]), np.uint8)
        pos = offsets[:-1].copy()
        for kind, values, widths in self._items:
            if kind == "fixed":
                _put_fixed(out, pos, values, widths)
            elif kind == "tails":
                _put_tails(out, pos, values, widths)
            else:
                _put_varint(out, pos, values, widths)
            pos += widths
        buffers = [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(out)]
        return pa.Array.from_buffers(pa.binary(), self.n, buffers)


def _put_fixed(out: np.ndarray, pos: np.ndarray, raw: np.ndarray, widths: np.ndarray) -> None:
    rows = np.flatnonzero(widths)
    source = raw if len(raw) == 1 else raw[rows]
    out[pos[rows, None] + np.arange(raw.shape[1])] = source


def _put_tails(out: np.ndarray, pos: np.ndarray, raw: np.ndarray, widths: np.ndarray) -> None:
    full = raw.shape[1]
    columns = np.arange(full)
    skip = (full - widths)[:, None]
    keep = columns >= skip
    out[(pos[:, None] + columns - skip)[keep]] = raw[keep]


def decimal_bytes(values: pa.Array, precision: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each decimal128's unscaled value as 16 big-endian bytes, the count of trailing bytes
    fastavro writes, whether its digits fit `precision`). fastavro sizes a value by its
    magnitude: (bit_length(|u|) + 8) // 8 bytes of two's complement."""
    n = len(values)
    raw = np.frombuffer(values.buffers()[1], np.uint8, n * 16, values.offset * 16).reshape(n, 16)
    words = raw.view("<u8")
    low, high = words[:, 0].copy(), words[:, 1].copy()
    negative = high >= np.uint64(1 << 63)
    # |u| in 128 bits: ~u + 1 where negative (a carry into high when low wraps to zero)
    low[negative] = ~low[negative] + np.uint64(1)
    high[negative] = ~high[negative] + (low[negative] == 0).astype(np.uint64)
    widths = np.ones(n, np.int64)
    for bits in range(7, 127, 8):  # one more byte for each 2**(8k - 1) that |u| reaches
        widths += _at_least(high, low, bits)
    fits = ~_at_least_value(high, low, 10**precision)
    return raw[:, ::-1], widths, fits


def _at_least(high: np.ndarray, low: np.ndarray, bits: int) -> np.ndarray:
    """high:low >= 2**bits."""
    if bits >= 64:
        return high >= np.uint64(1 << (bits - 64))
    return (high != 0) | (low >= np.uint64(1 << bits))


def _at_least_value(high: np.ndarray, low: np.ndarray, value: int) -> np.ndarray:
    top, bottom = np.uint64(value >> 64), np.uint64(value & (2**64 - 1))
    return (high > top) | ((high == top) & (low >= bottom))


def _put_varint(out: np.ndarray, pos: np.ndarray, unsigned: np.ndarray, widths: np.ndarray) -> None:
    for k in range(int(widths.max(initial=0))):
        rows = np.flatnonzero(widths > k)
        byte = ((unsigned[rows] >> _SHIFTS[k]) & np.uint64(0x7F)).astype(np.uint8)
        byte |= np.where(widths[rows] > k + 1, 0x80, 0).astype(np.uint8)
        out[pos[rows] + k] = byte
