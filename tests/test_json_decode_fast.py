"""The JSON fast path (typed json_transform + round-trip check) must decode exactly as the
general path does: same values, same errors, for any mix of records."""

from __future__ import annotations

import random

import orjson
import pyarrow as pa
import pytest

from ksql.formats import json_decode
from ksql.types import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    StructField,
    StructType,
)

pytestmark = pytest.mark.slow  # minutes: `pytest -m 'not slow'` runs the fast suite

COLUMNS = [
    ("AUCTION", BIGINT),
    ("N", INTEGER),
    ("PRICE", DOUBLE),
    ("NAME", STRING),
    ("FLAG", BOOLEAN),
    ("dateTime", BIGINT),
    ("TS", TIMESTAMP),
    ("D", DATE),
    ("DEC", DecimalType(6, 2)),
    ("A", ArrayType(BIGINT)),
    ("M", MapType(STRING, DOUBLE)),
    ("ST", StructType((StructField("X", INTEGER),))),
]

VALUES = [
    0, 1, -5, 2**31, 2**63, -(2**62), 1.5, -0.0, 1e300, 2.0, "12", " 12", "1.5", "abc", "",
    True, False, None, [1, 2], [1, "x"], {"X": 1}, {"x": "2"}, {"a": 1.5}, "é\"\\", "ew==",
]


def general(texts: pa.Array, columns, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(json_decode, "_decode_fast", lambda texts, columns: None)
        return json_decode.decode_json(texts, columns, unwrapped=False)


def fast(texts: pa.Array, columns):
    return json_decode.decode_json(texts, columns, unwrapped=False)


def rows(result):
    errors = result.errors.to_pylist() if result.errors is not None else [None] * result.table.num_rows
    return result.table.to_pylist(), errors


def doc(rng: random.Random, keys: list[str]) -> bytes:
    return orjson.dumps({k: rng.choice(VALUES) for k in keys})


def _check(texts: list[bytes | None], monkeypatch) -> None:
    data = pa.array(texts, pa.binary())
    assert rows(fast(data, COLUMNS)) == rows(general(data, COLUMNS, monkeypatch))


@pytest.mark.parametrize("seed", range(4))
def test_fast_path_matches_general_path_on_random_records(seed, monkeypatch):
    rng = random.Random(seed)
    keys = ["AUCTION", "n", "Price", "name", "FLAG", "dateTime", "ts", "D", "DEC", "A", "M", "ST", "other"]
    good = orjson.dumps({"AUCTION": 7, "n": 3, "Price": 1.5, "name": "x", "FLAG": True,
                         "dateTime": 1, "ts": 5, "D": 3, "DEC": 1.25, "A": [1], "M": {"a": 1.0},
                         "ST": {"X": 1}, "other": [1]})
    texts: list[bytes | None] = [good]
    for _ in range(100):
        r = rng.random()
        if r < 0.5:
            texts.append(doc(rng, keys))
        elif r < 0.6:
            texts.append(doc(rng, rng.sample(keys, rng.randint(0, len(keys)))))
        elif r < 0.7:
            texts.append(None)
        elif r < 0.8:
            texts.append(good.replace(b'"AUCTION"', b'"auction"'))
        else:
            texts.append(good)
    _check(texts, monkeypatch)


def test_fast_path_matches_on_typed_values_and_layout_changes(monkeypatch):
    base = {"AUCTION": 1, "N": 2, "PRICE": 2.5, "NAME": "s", "FLAG": False, "dateTime": 3}
    texts = [orjson.dumps(base)]
    for key, value in [("AUCTION", "12"), ("AUCTION", 1.7), ("AUCTION", True), ("N", 2**31),
                       ("PRICE", 2), ("NAME", 5), ("NAME", {"a": 1}), ("FLAG", 1),
                       ("dateTime", None), ("AUCTION", 2**63)]:
        texts.append(orjson.dumps({**base, key: value}))
    texts += [b'{"AUCTION":1, "N":2}', b"not json", b"", b"  ", b"[1]", b"5", b"null",
              b'{"AUCTION":1,"AUCTION":2}', b'{"auction":1,"AUCTION":2}', b'{"DATETIME":4}',
              b'{"NAME":"\\u00e9"}', None]
    _check(texts, monkeypatch)
    _check([orjson.dumps(base)] * 5 + [b"not json"], monkeypatch)
    _check([b'{"datetime":1,"AUCTION":2}', orjson.dumps(base)], monkeypatch)
    _check([b"\xff\xfe", orjson.dumps(base)], monkeypatch)
