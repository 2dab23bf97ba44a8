"""What a task does with a record it cannot convert, transform or write, as Kafka Connect's
`errors.*` properties say: fail the task (`errors.tolerance=none`, the default) or skip the
record (`all`), logging it (`errors.log.enable`) and writing it with the error in its headers
to the dead-letter topic (`errors.deadletterqueue.topic.name`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ksql.connect.api import ConfigError
from ksql.storage.records import make_records

_log = logging.getLogger(__name__)
_PREFIX = "__connect.errors."


class ErrorPolicy:
    def __init__(self, config: Mapping[str, str], log: Any, connector: str, task_id: int):
        tolerance = config.get("errors.tolerance", "none").strip().lower()
        if tolerance not in ("none", "all"):
            raise ConfigError(
                f"Invalid value {tolerance} for configuration errors.tolerance: "
                "String must be one of: none, all"
            )
        self.tolerant = tolerance == "all"
        self.topic = config.get("errors.deadletterqueue.topic.name", "").strip() or None
        self.context_headers = (
            config.get("errors.deadletterqueue.context.headers.enable", "false").lower() == "true"
        )
        self.log_errors = config.get("errors.log.enable", "false").lower() == "true"
        self.replication = int(config.get("errors.deadletterqueue.topic.replication.factor", "1"))
        self.log = log
        self.connector = connector
        self.task_id = task_id
        self.failed = 0

    def handle(
        self,
        stage: str,
        error: BaseException,
        *,
        key: bytes | None = None,
        value: bytes | None = None,
        topic: str = "",
        partition: int = -1,
        offset: int = -1,
        timestamp: int | None = None,
    ) -> None:
        """Raise `error` unless errors are tolerated; otherwise record the failure."""
        if not self.tolerant:
            raise error
        self.failed += 1
        if self.log_errors:
            _log.warning(
                "connector %s task %d skipped a record (%s, %s[%d]@%d): %s",
                self.connector, self.task_id, stage, topic, partition, offset, error,
            )  # fmt: skip
        if self.topic is None:
            return
        headers: list[tuple[str, bytes | None]] = []
        # The error's class and message are always useful; the full context on request.
        headers.append((_PREFIX + "exception.class.name", type(error).__name__.encode()))
        headers.append((_PREFIX + "exception.message", str(error).encode()))
        if self.context_headers:
            for name, val in (
                ("topic", topic), ("partition", partition), ("offset", offset),
                ("connector.name", self.connector), ("task.id", self.task_id), ("stage", stage),
            ):  # fmt: skip
                headers.append((_PREFIX + name, str(val).encode()))
        if not self.log.topic_exists(self.topic):
            try:
                self.log.create_topic(self.topic, partitions=1, replicas=self.replication)
            except Exception:  # noqa: BLE001 - created meanwhile by another task
                if not self.log.topic_exists(self.topic):
                    raise
        self.log.produce(self.topic, make_records([key], [value], [timestamp], [headers]))
