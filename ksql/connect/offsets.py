"""Durable connector progress, kept in the internal topic `_ksql-connect-offsets` of the
engine's log (the data directory, or Kafka on the Kafka backend), one record per commit and
the last record per key winning, as Kafka Connect's offsets topic.

- A source connector's record holds each source partition's offset and, for every topic
  partition it writes, the log end offset once the committed records were in it (`written`):
  records beyond that end carrying the connector's header were written by a batch whose
  offsets never got stored, and are not written again (see `source_runner`).
- A sink connector's record holds the next offset to read of each topic partition.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson

from ksql.storage.records import make_records

OFFSETS_TOPIC = "_ksql-connect-offsets"


def _key(kind: str, connector: str) -> bytes:
    return orjson.dumps([kind, connector])


def partition_key(source_partition: Any) -> str:
    """A source partition (a dict) as a stable string."""
    return orjson.dumps(source_partition, option=orjson.OPT_SORT_KEYS).decode()


class OffsetStore:
    """Reads every stored commit once, then appends new ones; thread-safe."""

    def __init__(self, log: Any) -> None:
        self.log = log
        self._lock = threading.Lock()
        self._latest: dict[bytes, dict[str, Any]] | None = None

    def _load(self) -> dict[bytes, dict[str, Any]]:
        if self._latest is not None:
            return self._latest
        latest: dict[bytes, dict[str, Any]] = {}
        if not self.log.topic_exists(OFFSETS_TOPIC):
            self.log.create_topic(OFFSETS_TOPIC, partitions=1, replicas=1)
        offset = self.log.start_offset(OFFSETS_TOPIC, 0)
        while True:
            batch = self.log.read(OFFSETS_TOPIC, 0, offset)
            if batch.num_rows == 0:
                break
            keys, values = batch.column("key").to_pylist(), batch.column("value").to_pylist()
            for key, value in zip(keys, values, strict=True):
                if value is None:
                    latest.pop(key, None)
                else:
                    latest[key] = orjson.loads(value)
            offset = int(batch.column("offset")[-1].as_py()) + 1
        self._latest = latest
        return latest

    def get(self, kind: str, connector: str) -> dict[str, Any]:
        """The last commit of a "source" or "sink" connector, {} when there is none."""
        with self._lock:
            return dict(self._load().get(_key(kind, connector), {}))

    def put(self, kind: str, connector: str, state: dict[str, Any]) -> None:
        """Store a commit; it is durable when this returns."""
        key = _key(kind, connector)
        with self._lock:
            self._load()
            self.log.produce(
                OFFSETS_TOPIC, make_records([key], [orjson.dumps(state)], [None], [[]])
            )
            assert self._latest is not None
            self._latest[key] = state
