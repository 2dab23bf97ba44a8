"""The command log as a Kafka topic: every server of a service id sees the same statements.

`_confluent-ksql-<service id>_command_topic` has one partition, so its offsets order the
statements. A server executes a statement locally (which validates it), then appends it with a
command id; the other servers apply it when they read it. On start a server replays the topic
from the beginning. A server skips the commands it wrote itself while running (by command id).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson

from ksql.errors import TopicError
from ksql.storage.records import make_records

COMMAND_TOPIC_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}


def command_topic_name(service_id: str) -> str:
    return f"_confluent-ksql-{service_id}_command_topic"


class CommandTopic:
    """Appends and reads the statements of the shared command log (one partition)."""

    shared = True  # other servers append too: a running engine applies their statements

    def __init__(self, log, service_id: str) -> None:
        self.log = log
        self.topic = command_topic_name(service_id)
        if not log.topic_exists(self.topic):
            try:
                log.create_topic(self.topic, 1, 1, COMMAND_TOPIC_CONFIG)
            except TopicError:  # another server created it first
                if not log.topic_exists(self.topic):
                    raise
        self.position = 0  # next offset to apply
        self.own: set[str] = set()  # command ids written by this process

    def append(self, sql: str, properties: dict[str, str]) -> str:
        """Write one statement; returns its command id."""
        command_id = uuid.uuid4().hex
        self.own.add(command_id)
        value = orjson.dumps({"id": command_id, "sql": sql, "properties": properties})
        self.log.append(
            self.topic,
            0,
            make_records([command_id.encode()], [value], [int(time.time() * 1000)], [[]]),
        )
        return command_id

    def end(self) -> int:
        return self.log.end_offset(self.topic, 0)

    def pending(self) -> Iterator[dict[str, Any]]:
        """Commands after `position` not written by this process, in order; advances
        `position` past each one as it is handed out."""
        end = self.end()
        while self.position < end:
            batch = self.log.read(self.topic, 0, self.position)
            if batch.num_rows == 0:
                return
            offsets = batch.column("offset").to_pylist()
            for value, offset in zip(batch.column("value").to_pylist(), offsets, strict=True):
                self.position = offset + 1
                if value is None:
                    continue
                entry = orjson.loads(value)
                if entry.get("id") in self.own:
                    continue
                yield entry
