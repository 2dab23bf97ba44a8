"""The registry's event journal: key/value events, their one-line JSON encoding, and a file log.

An event is a key and a value, the shape of a record on Confluent's compacted `_schemas` topic:
the registry state is a function of the last value of each key (a `None` value is a tombstone),
so a compacted log replays to the same state as the full one. Only the next id to assign can
differ: an id whose schemas were all deleted for good leaves with their tombstones (as in
Confluent's registry), while the uncompacted file journal remembers it and never reuses it. The file implementation appends
one JSON line per event and fsyncs it; a torn last line (a crash mid-write) is dropped with a
warning and cut off so the next append starts on a clean line.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

_log = logging.getLogger("ksql.schemas")


@dataclass(frozen=True, slots=True)
class Event:
    """One registry change: `key` names what changed, `value` is its new state or None."""

    key: dict[str, Any]
    value: dict[str, Any] | None

    def key_bytes(self) -> bytes:
        """The key as a Kafka record key: sorted so equal keys compact together."""
        return json.dumps(self.key, sort_keys=True, separators=(",", ":")).encode()

    def value_bytes(self) -> bytes | None:
        if self.value is None:
            return None
        return json.dumps(self.value, separators=(",", ":")).encode()


def encode(event: Event) -> bytes:
    """One journal line, newline included."""
    line = json.dumps({"key": event.key, "value": event.value}, separators=(",", ":"))
    return line.encode() + b"\n"


def decode(line: bytes) -> Event:
    """The inverse of `encode`; raises ValueError on anything that is not an encoded event."""
    obj = json.loads(line)
    if not isinstance(obj, dict) or not isinstance(obj.get("key"), dict):
        raise ValueError("not a registry event")  # noqa: TRY004
    value = obj.get("value")
    if value is not None and not isinstance(value, dict):
        raise ValueError("event value is not an object")
    return Event(obj["key"], value)


class Journal(Protocol):
    """Where the registry keeps its events: appended durably, replayed in order at open."""

    def append(self, event: Event) -> None: ...

    def replay(self) -> Iterator[Event]: ...


class JournalCorruptError(Exception):
    """A line other than the last does not decode: the file was damaged, not just torn."""


class FileJournal:
    """Events as JSON lines in one file, each append fsync'd before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        self._file = open(path, "ab")  # noqa: SIM115 - open until close()
        if created:
            # The new file's directory entry must survive a crash too.
            _fsync_dir(path.parent)

    def append(self, event: Event) -> None:
        self._file.write(encode(event))
        self._file.flush()
        os.fsync(self._file.fileno())

    def replay(self) -> Iterator[Event]:
        """Every complete event in order; a torn last line is reported and cut off."""
        with open(self.path, "rb") as f:
            data = f.read()
        offset = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            last = end == -1 or end == len(data) - 1
            line = data[offset:] if end == -1 else data[offset:end]
            try:
                event = decode(line) if end != -1 else None
            except ValueError:
                event = None
            if event is None:
                if not last:
                    raise JournalCorruptError(f"{self.path}: undecodable event at byte {offset}")
                _log.warning(
                    "%s: ignoring a torn last event (%d bytes) at byte %d",
                    self.path,
                    len(line),
                    offset,
                )
                self._truncate(offset)
                return
            yield event
            offset = end + 1

    def _truncate(self, size: int) -> None:
        self._file.truncate(size)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
