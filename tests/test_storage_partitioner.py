"""Kafka's default partitioner: murmur2 vectors from Kafka's own tests, vectorized == scalar."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from ksql.storage.partitioner import (
    murmur2,
    murmur2_array,
    partition_for_key,
    partition_for_keys,
)

# From Kafka's UtilsTest.testMurmur2.
KAFKA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize(("data", "expected"), list(KAFKA_VECTORS.items()))
def test_murmur2_matches_kafka(data: bytes, expected: int) -> None:
    assert murmur2(data) == expected


def test_vectorized_matches_kafka_vectors() -> None:
    keys = pa.array(list(KAFKA_VECTORS), pa.binary())
    assert murmur2_array(keys).astype(np.int32).tolist() == list(KAFKA_VECTORS.values())


def test_vectorized_matches_scalar_for_random_keys_all_lengths() -> None:
    rng = random.Random(7)
    keys = [rng.randbytes(rng.randint(0, 70)) for _ in range(5000)]
    keys += [b"", b"x" * 300, rng.randbytes(1000)]  # long keys take the scalar path
    arr = pa.array(keys, pa.binary())
    assert murmur2_array(arr).astype(np.int32).tolist() == [murmur2(k) for k in keys]
    # A sliced array (non-zero offset) hashes its own values.
    assert murmur2_array(arr.slice(10, 50)).astype(np.int32).tolist() == [
        murmur2(k) for k in keys[10:60]
    ]


def test_partition_for_keys_is_positive_modulo_and_nulls_stay_null() -> None:
    keys = [b"21", b"foobar", None, b"abc", b""]
    got = partition_for_keys(pa.array(keys, pa.binary()), 7).to_pylist()
    expected = [None if k is None else (murmur2(k) & 0x7FFFFFFF) % 7 for k in keys]
    assert got == expected
    assert partition_for_key(b"foobar", 7) == expected[1]
    assert all(p is None or 0 <= p < 7 for p in got)


def test_string_and_chunked_keys_are_accepted() -> None:
    chunked = pa.chunked_array([pa.array(["abc"]), pa.array(["21"])])
    assert partition_for_keys(chunked, 1000).to_pylist() == [
        (murmur2(b"abc") & 0x7FFFFFFF) % 1000,
        (murmur2(b"21") & 0x7FFFFFFF) % 1000,
    ]
