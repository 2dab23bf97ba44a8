"""The embedded command log: catalog-changing statements, one JSON line each, in the data
directory. Replayed in order on start; the Kafka backend keeps the same entries in a topic
(ksql/cluster/commands.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

COMMAND_LOG = "commands.jsonl"


class CommandFile:
    """Appends statements with the properties they ran under, and hands them out once each."""

    shared = False  # one process owns a data directory: nobody else appends

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / COMMAND_LOG
        self.position = 0  # entries already handed out

    def append(self, sql: str, properties: dict[str, str]) -> None:
        line = orjson.dumps({"sql": sql, "properties": properties}) + b"\n"
        with open(self.path, "ab") as f:
            f.write(line)
        self.position += 1  # its own statements are never handed back, as on the topic

    def pending(self) -> Iterator[dict[str, Any]]:
        """Entries not handed out yet, in order."""
        if not self.path.exists():
            return
        lines = [line for line in self.path.read_bytes().splitlines() if line.strip()]
        while self.position < len(lines):
            entry = orjson.loads(lines[self.position])
            self.position += 1
            yield entry

    def clear(self) -> None:
        """Forget every statement (TERMINATE CLUSTER): a restart begins with an empty catalog."""
        self.path.unlink(missing_ok=True)
        self.position = 0
