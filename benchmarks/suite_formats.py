"""The suite's input in the schema-registry formats: the same generated events, encoded once.

`prepare(data, fmt)` converts the JSON topics of a prepared scale (`suite_data.prepare`) into
`<fmt>` values with ksql itself: a persistent query per topic, `CREATE STREAM ... WITH
(value_format='<fmt>') AS SELECT * FROM <json source>`, which registers the value schema in the
built-in registry and writes Confluent's wire format (keys keep their JSON format). The result
is kept beside the JSON log, `DIR/<fmt>/topics` and `DIR/<fmt>/schemas`, and reused while it
exists. `ddl(source, fmt)` is the source's CREATE statement over the converted topic, so the
queries run unchanged.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite_queries import KSQL_DDL

from ksql.engine import Engine

# The topics a format variant converts, and the JSON stream each is read through.
CONVERTED = {"bids": "bids", "auctions": "auction_stream", "persons": "persons"}
JSON = "JSON"


def topic(name: str, fmt: str) -> str:
    """The topic holding `name`'s records in format `fmt`."""
    return name if fmt.upper() == JSON else f"{name}_{fmt.lower()}"


def ddl(source: str, fmt: str) -> str:
    """KSQL_DDL[source] over the topic of format `fmt`."""
    statement = KSQL_DDL[source]
    if fmt.upper() == JSON:
        return statement
    for name in CONVERTED:
        statement = statement.replace(f"kafka_topic='{name}'", f"kafka_topic='{topic(name, fmt)}'")
    return statement.replace("value_format='JSON'", f"value_format='{fmt.upper()}'")


def prepare(data: Path, fmt: str) -> Path:
    """The data directory (topics and registry) of `data`'s events in format `fmt`."""
    target = data / fmt.lower()
    if fmt.upper() == JSON or (target / "done").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ksql-suite-convert-") as tmp:
        shutil.copytree(data / "ksql-log", Path(tmp) / "topics")
        engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
        try:
            for name, stream in CONVERTED.items():
                engine.execute(KSQL_DDL[stream])
                engine.execute(
                    f"CREATE STREAM {topic(name, fmt)} WITH (kafka_topic='{topic(name, fmt)}', "
                    f"value_format='{fmt.upper()}') AS SELECT * FROM {stream};"
                )
            engine.run_until_idle()
            for name in CONVERTED:
                converted = topic(name, fmt)
                if engine.end_offsets(converted) != engine.end_offsets(name):
                    raise RuntimeError(f"{converted}: not every record was converted")
        finally:
            engine.close()
        target.mkdir(parents=True)
        shutil.copytree(Path(tmp) / "topics", target / "topics")
        shutil.copytree(Path(tmp) / "schemas", target / "schemas")
    (target / "done").write_text(f"{time.perf_counter() - started:.1f} s\n")
    return target
