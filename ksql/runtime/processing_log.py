"""The processing log: records that could not be decoded or computed, with the reason."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

import orjson

PROCESSING_LOG_TOPIC = "ksql_processing_log"


@dataclass(frozen=True, slots=True)
class ProcessingError:
    query_id: str
    topic: str
    partition: int
    offset: int
    message: str
    timestamp_ms: int


class ProcessingLog:
    """Keeps per-query error counts and recent errors, and appends each to a log topic."""

    def __init__(self, log, *, keep: int = 1000) -> None:
        self._log = log
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.recent: deque[ProcessingError] = deque(maxlen=keep)

    def report(self, query_id: str, topic: str, errors: list[tuple[int, int, str]]) -> None:
        if not errors:
            return
        now = int(time.time() * 1000)
        entries = [ProcessingError(query_id, topic, p, o, msg, now) for p, o, msg in errors]
        with self._lock:
            self.counts[query_id] += len(entries)
            self.recent.extend(entries)
        self._append(entries)

    def errors_for(self, query_id: str) -> list[ProcessingError]:
        with self._lock:
            return [e for e in self.recent if e.query_id == query_id]

    def _append(self, entries: list[ProcessingError]) -> None:
        from ksql.storage.log import make_records

        if not self._log.topic_exists(PROCESSING_LOG_TOPIC):
            self._log.create_topic(PROCESSING_LOG_TOPIC, partitions=1)
        values = [
            orjson.dumps(
                {
                    "LOGGER": e.query_id,
                    "LEVEL": "ERROR",
                    "TIME": e.timestamp_ms,
                    "MESSAGE": {
                        "TYPE": 0,
                        "DESERIALIZATIONERROR": {
                            "ERRORMESSAGE": e.message,
                            "TOPIC": e.topic,
                            "PARTITION": e.partition,
                            "OFFSET": e.offset,
                        },
                    },
                }
            )
            for e in entries
        ]
        batch = make_records([None] * len(values), values, [e.timestamp_ms for e in entries])
        self._log.produce(PROCESSING_LOG_TOPIC, batch)
