"""Kafka's default partitioner: murmur2 of the serialized key, bit-exact with the Java client."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK32 = 0xFFFFFFFF

# Keys longer than this many 4-byte words are hashed one by one: the vectorized loop runs once
# per word position, so a single huge key would otherwise cost one numpy round per word.
_MAX_VECTOR_WORDS = 64


def murmur2(data: bytes) -> int:
    """Kafka's `Utils.murmur2`: a signed 32-bit hash of `data`."""
    length = len(data)
    h = (_SEED ^ length) & _MASK32
    n4 = length & ~3
    for i in range(0, n4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK32
        k ^= k >> 24
        k = (k * _M) & _MASK32
        h = (h * _M) & _MASK32
        h ^= k
    rem = length & 3
    if rem == 3:
        h ^= data[n4 + 2] << 16
    if rem >= 2:
        h ^= data[n4 + 1] << 8
    if rem >= 1:
        h ^= data[n4]
        h = (h * _M) & _MASK32
    h ^= h >> 13
    h = (h * _M) & _MASK32
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: bytes, partitions: int) -> int:
    """`Utils.toPositive(Utils.murmur2(key)) % partitions`, as Kafka's producer does."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def murmur2_array(keys: pa.Array) -> np.ndarray:
    """Vectorized murmur2 of every (non-null) binary value, as uint32; nulls hash as b""."""
    keys = _as_binary(keys)
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    offsets = np.frombuffer(keys.buffers()[1], dtype=np.int32)[keys.offset : keys.offset + n + 1]
    data_buf = keys.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)
        if data_buf is not None
        else np.zeros(0, dtype=np.uint8)
    )
    # Three zero bytes of padding make every unaligned 4-byte window in range.
    padded = np.concatenate([data, np.zeros(4, dtype=np.uint8)])
    starts = offsets[:-1].astype(np.int64)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    words = lengths >> 2
    m = np.uint32(_M)
    h = (np.uint32(_SEED) ^ lengths.astype(np.uint32)).astype(np.uint32)

    long_rows = np.nonzero(words > _MAX_VECTOR_WORDS)[0]
    if len(long_rows):
        words = np.where(words > _MAX_VECTOR_WORDS, 0, words)

    # Step 1: body words. Rows sorted by word count (descending) make the rows still active at
    # word j a prefix, so each round is one slice plus one gather.
    max_words = int(words.max())
    if max_words:
        order = np.argsort(-words, kind="stable")
        sorted_words = words[order]
        sorted_starts = starts[order]
        hs = h[order]
        u32 = np.ndarray(
            shape=(len(padded) - 3,), dtype="<u4", buffer=padded.data, offset=0, strides=(1,)
        )
        # active[j] = number of rows with more than j words.
        active = len(sorted_words) - np.searchsorted(
            sorted_words[::-1], np.arange(max_words), side="right"
        )
        for j in range(max_words):
            a = int(active[j])
            k = u32[sorted_starts[:a] + 4 * j]
            k = k * m
            k ^= k >> np.uint32(24)
            k = k * m
            hs[:a] = (hs[:a] * m) ^ k
        h[order] = hs

    # Step 2: the 1-3 tail bytes, then the final mix.
    rem = lengths & 3
    tail = starts + (lengths & ~3)
    b0 = padded[tail].astype(np.uint32)
    b1 = padded[tail + 1].astype(np.uint32)
    b2 = padded[tail + 2].astype(np.uint32)
    h = np.where(rem == 3, h ^ (b2 << np.uint32(16)), h)
    h = np.where(rem >= 2, h ^ (b1 << np.uint32(8)), h)
    h = np.where(rem >= 1, (h ^ b0) * m, h).astype(np.uint32)
    h ^= h >> np.uint32(13)
    h = h * m
    h ^= h >> np.uint32(15)

    for i in long_rows:
        h[i] = np.uint32(murmur2(keys[int(i)].as_py() or b"") & _MASK32)
    return h


def partition_for_keys(keys: pa.Array, partitions: int) -> pa.Int32Array:
    """Partition of each key as Kafka's default partitioner picks it; null keys give null.

    Null keys have no hash: the producer places them (Kafka's sticky partitioning).
    """
    keys = _as_binary(keys)
    h = murmur2_array(keys)
    parts = ((h & np.uint32(0x7FFFFFFF)) % np.uint32(partitions)).astype(np.int32)
    mask = keys.is_null().to_numpy(zero_copy_only=False) if keys.null_count else None
    return pa.array(parts, type=pa.int32(), mask=mask)


def _as_binary(keys: pa.Array | pa.ChunkedArray) -> pa.BinaryArray:
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks() if keys.num_chunks != 1 else keys.chunk(0)
    if not pa.types.is_binary(keys.type):
        keys = keys.cast(pa.binary())
    return keys
