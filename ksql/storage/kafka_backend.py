"""Chooses the topic log: a Kafka cluster when `bootstrap.servers` is set, else the embedded log."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ksql.storage.log import TopicLog


def open_topic_log(data_dir: str | Path, properties: Mapping[str, Any] | None):
    """The log an engine over `data_dir` uses; confluent-kafka is imported only when needed."""
    props = properties or {}
    if str(props.get("bootstrap.servers") or "").strip():
        from ksql.storage.kafka_log import KafkaTopicLog

        return KafkaTopicLog.from_properties(props)
    return TopicLog(Path(data_dir) / "topics")
