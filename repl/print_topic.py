"""PRINT topic for the embedded engine: raw records formatted as ksqlDB's PRINT writes them."""

from __future__ import annotations

import datetime
import struct
import threading
from collections.abc import Iterator

import orjson

from repl.backend import BackendError, Event, Text

NO_DATA = "¯\\_(ツ)_/¯ - no data processed"


def guess_format(data: bytes | None) -> str:
    """The serde a record's bytes look like, named as ksqlDB's PRINT names them."""
    if data is None:
        return ""
    text = _printable(data)
    if text is None:
        return {4: "KAFKA_INT", 8: "KAFKA_BIGINT or KAFKA_DOUBLE"}.get(len(data), "UNKNOWN")
    if text[:1] in "{[":
        try:
            orjson.loads(data)
            return "JSON or KAFKA_STRING"
        except orjson.JSONDecodeError:
            pass
    return "KAFKA_STRING"


def _printable(data: bytes) -> str | None:
    """The bytes as text if they are UTF-8 without control characters (so not a number)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(c.isprintable() or c in "\t\r\n" for c in text) else None


def as_text(data: bytes | None) -> str:
    """A key or value as PRINT shows it: text, else a big-endian INT/BIGINT, else hex."""
    if data is None:
        return "<null>"
    text = _printable(data)
    if text is not None:
        return text
    if len(data) == 4:
        return str(struct.unpack(">i", data)[0])
    if len(data) == 8:
        return str(struct.unpack(">q", data)[0])
    return data.hex()


def rowtime_text(timestamp_ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp_ms / 1000, tz=datetime.UTC)
    return moment.strftime("%Y/%m/%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d} Z"


def record_line(timestamp_ms: int, key: bytes | None, value: bytes | None, partition: int) -> str:
    return (
        f"rowtime: {rowtime_text(timestamp_ms)}, key: {as_text(key)}, "
        f"value: {as_text(value)}, partition: {partition}"
    )


def format_lines(
    timestamp_ms: int, key: bytes | None, value: bytes | None, partition: int, first: bool
) -> list[str]:
    """The lines PRINT shows for one record; the first record also names the formats."""
    lines = []
    if first:
        lines.append(f"Key format: {guess_format(key) or NO_DATA}")
        lines.append(f"Value format: {guess_format(value) or NO_DATA}")
    lines.append(record_line(timestamp_ms, key, value, partition))
    return lines


class PrintStream:
    """Follows one topic of the embedded engine until LIMIT or cancel()."""

    def __init__(
        self, engine, topic: str, from_beginning: bool, interval: int | None, limit: int | None
    ) -> None:  # type: ignore[no-untyped-def]
        if engine.topic_info(topic) is None:
            known = [t.name for t in engine.topics() if t.name.lower() == topic.lower()]
            hint = f"\nDid you mean: {', '.join(known)}" if known else ""
            raise BackendError(
                f"Could not find topic '{topic}', or the KSQL user does not have permissions to "
                f"list the topic. Topic names are case-sensitive.{hint}"
            )
        self.interval = max(interval or 1, 1)
        self.limit = limit
        self._stop = threading.Event()
        self._records = engine.follow_topic(topic, from_beginning=from_beginning, stop=self._stop)

    def cancel(self) -> None:
        self._stop.set()

    def events(self) -> Iterator[Event]:
        printed = seen = 0
        for partition, records in self._records:
            for i in range(len(records["offset"])):
                seen += 1
                if (seen - 1) % self.interval:
                    continue
                key, value = records["key"][i], records["value"][i]
                stamp = records["timestamp"][i]
                for line in format_lines(stamp, key, value, partition, printed == 0):
                    yield Text(line)
                printed += 1
                if self.limit is not None and printed >= self.limit:
                    return
