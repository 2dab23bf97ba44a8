"""A stateless query over a JSON stream into a JSON sink writes its values in the same query that
decodes and projects (runtime/fused.py with SinkEncoder.value_sql). Its output records must be
byte for byte those of the general path (decode, SELECT, then encode the Arrow rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.runtime import fused as fused_module
from ksql.runtime import runner

SOURCE = (
    "CREATE STREAM src (id INT KEY, name STRING, qty INT, price DOUBLE, big BIGINT, "
    "amount DECIMAL(10, 2), ok BOOLEAN) "
    "WITH (kafka_topic='src', partitions=2, value_format='JSON');"
)

QUERIES = [
    "CREATE STREAM out AS SELECT * FROM src;",
    (
        "CREATE STREAM out AS SELECT id, UCASE(name) AS name, qty * 2 AS q2, price / 0.0 AS inf, "
        "0.908 * amount AS scaled, big + 1 AS big1, NOT ok AS nok FROM src WHERE qty > 1;"
    ),
    "CREATE STREAM out WITH (wrap_single_value=false) AS SELECT id, amount * 3 AS a3 FROM src;",
    "CREATE STREAM out WITH (value_format='DELIMITED') AS SELECT id, name, qty FROM src;",
    "CREATE STREAM out AS SELECT name, price FROM src PARTITION BY name;",
    (
        "CREATE STREAM out WITH (key_format='JSON') AS SELECT price, name, qty, ok FROM src "
        "PARTITION BY qty, name;"
    ),
]

NAMES = ["plain", 'quote " and \\ slash', "tab\tnew\nline", "é ü 日本", "", None]


def _records() -> list[tuple[bytes | None, bytes | None, int]]:
    out = []
    for i in range(60):
        value = {
            "NAME": NAMES[i % len(NAMES)],
            "QTY": i % 7,
            "PRICE": [1.5, -0.0, 2.0, 12345.678, 0.1, -7.25][i % 6],
            "BIG": 2**40 + i,
            "AMOUNT": [1.5, 10.25, -3, 0, 99999999.99][i % 5],
            "OK": i % 3 == 0,
        }
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        out.append(((i % 9).to_bytes(4, "big"), None if i % 17 == 16 else text, 1000 + i))
    return out


def _run(data_dir: Path, query: str) -> list[dict]:
    with Engine(data_dir, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(SOURCE)
        for key, value, ts in _records():
            engine.produce("src", key, value, ts)
        engine.execute(query)
        engine.run_until_idle()
        table = engine.read_topic("OUT").sort_by([("partition", "ascending"), ("offset", "ascending")])
        return table.select(["partition", "key", "value", "timestamp"]).to_pylist()


@pytest.mark.parametrize("query", QUERIES)
def test_fused_encoding_writes_what_the_general_path_writes(
    tmp_path: Path, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    original = runner.StatelessQuery._fused_encoding

    def spy(self):
        encoded = original(self)
        calls.append(encoded is not None)
        return encoded

    taken: list[bool] = []
    run = fused_module.FusedJsonStateless.run

    def run_spy(self, con, records):
        out = run(self, con, records)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(runner.StatelessQuery, "_fused_encoding", spy)
    monkeypatch.setattr(fused_module.FusedJsonStateless, "run", run_spy)
    fused = _run(tmp_path / "fused", query)
    assert taken and all(taken)  # every batch went through the fused query
    monkeypatch.setattr(runner.StatelessQuery, "_fused_encoding", lambda self: None)
    general = _run(tmp_path / "general", query)
    assert fused and fused == general
    # The JSON sinks took the fused encoding; the DELIMITED one could not.
    assert calls == ["DELIMITED" not in query]
