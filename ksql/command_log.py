"""The embedded command log: catalog-changing statements, one JSON line each, in the data
directory. Replayed in order on start; the Kafka backend keeps the same entries in a topic
(ksql/cluster/commands.py).

A damaged last line (a write torn by a crash, or garbled) is cut with a warning naming the file
and line; damage before it stops the start with a CorruptDataError naming them, since the
statements after it cannot be applied without it. An append that fails leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ksql.errors import CorruptDataError, StorageError

COMMAND_LOG = "commands.jsonl"

_log = logging.getLogger(__name__)


class CommandFile:
    """Appends statements with the properties they ran under, and hands them out once each."""

    shared = False  # one process owns a data directory: nobody else appends

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / COMMAND_LOG
        self.position = 0  # entries already handed out

    def append(self, sql: str, properties: dict[str, str]) -> None:
        line = orjson.dumps({"sql": sql, "properties": properties}) + b"\n"
        with open(self.path, "ab") as f:
            end = f.tell()
            try:
                f.write(line)
                f.flush()
            except OSError as e:
                os.truncate(self.path, end)
                raise StorageError(
                    f"Could not record the statement in {self.path}: {e.strerror or e}"
                ) from e
        self.position += 1  # its own statements are never handed back, as on the topic

    def pending(self) -> Iterator[dict[str, Any]]:
        """Entries not handed out yet, in order."""
        entries = self._entries()
        while self.position < len(entries):
            entry = entries[self.position]
            self.position += 1
            yield entry

    def _entries(self) -> list[dict[str, Any]]:
        """Every entry of the file, after cutting a damaged last line."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        entries: list[dict[str, Any]] = []
        start = 0
        number = 0
        while start < len(data):
            end = data.find(b"\n", start)
            stop = len(data) if end < 0 else end + 1
            number += 1
            line = data[start:stop]
            if line.strip():
                entry = _entry(line)
                if entry is None:
                    if data[stop:].strip():
                        raise CorruptDataError(
                            f"The command log {self.path} is damaged at line {number}: it is "
                            "not a statement, and the statements after it depend on the ones "
                            "before. Repair or remove that line to start."
                        )
                    _log.warning(
                        "Cut a damaged last line (line %d, %d bytes) from the command log %s",
                        number, len(data) - start, self.path,
                    )  # fmt: skip
                    os.truncate(self.path, start)
                    break
                if end < 0:  # a whole statement whose newline the crash cut: complete it
                    with open(self.path, "ab") as f:
                        f.write(b"\n")
                entries.append(entry)
            start = stop
        return entries

    def clear(self) -> None:
        """Forget every statement (TERMINATE CLUSTER): a restart begins with an empty catalog."""
        self.path.unlink(missing_ok=True)
        self.position = 0


def _entry(line: bytes) -> dict[str, Any] | None:
    """The entry one line holds, or None if it is not one."""
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("sql"), str):
        return None
    return entry
