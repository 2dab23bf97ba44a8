"""Topic names, descriptions and the parsed per-topic configuration of the embedded log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ksql.errors import TopicError

_LEGAL_NAME = re.compile(r"[a-zA-Z0-9._-]+")
MAX_NAME_LENGTH = 249

DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
DEFAULT_DELETE_RETENTION_MS = 86_400_000


def validate_topic_name(name: object) -> str:
    """Kafka's rules: 1-249 of [a-zA-Z0-9._-], not "." or ".."; the name becomes a directory."""
    if not isinstance(name, str) or not name:
        raise TopicError("Topic name is illegal, it can't be empty")
    if name in (".", ".."):
        raise TopicError(f'Topic name cannot be "{name}"')
    if len(name) > MAX_NAME_LENGTH:
        raise TopicError(
            f"Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, "
            f"topic name: {name}"
        )
    if not _LEGAL_NAME.fullmatch(name):
        raise TopicError(
            f'Topic name "{name}" is illegal, it contains a character other than '
            "ASCII alphanumerics, '.', '_' and '-'"
        )
    return name


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """What `describe_topic` reports: the config holds only the overrides given at creation."""

    name: str
    partitions: int
    replicas: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """Settings the embedded log acts on; -1 means unlimited, as in Kafka.

    Unlike a Kafka broker (7 days) time retention is off unless `retention.ms` is set: old
    event times (replays, tests) must not make data vanish from a local data directory.
    """

    segment_bytes: int = DEFAULT_SEGMENT_BYTES
    retention_ms: int = -1
    retention_bytes: int = -1
    compact: bool = False
    delete: bool = True
    delete_retention_ms: int = DEFAULT_DELETE_RETENTION_MS

    @classmethod
    def parse(cls, config: Mapping[str, str]) -> TopicConfig:
        policy = {p.strip() for p in str(config.get("cleanup.policy", "delete")).split(",")}
        if not policy <= {"delete", "compact"}:
            raise TopicError(
                f"Invalid value {config['cleanup.policy']} for configuration cleanup.policy"
            )
        return cls(
            segment_bytes=_int(config, "segment.bytes", DEFAULT_SEGMENT_BYTES, minimum=14),
            retention_ms=_int(config, "retention.ms", -1, minimum=-1),
            retention_bytes=_int(config, "retention.bytes", -1, minimum=-1),
            compact="compact" in policy,
            delete="delete" in policy,
            delete_retention_ms=_int(
                config, "delete.retention.ms", DEFAULT_DELETE_RETENTION_MS, minimum=0
            ),
        )


def _int(config: Mapping[str, str], key: str, default: int, *, minimum: int) -> int:
    if key not in config:
        return default
    try:
        value = int(str(config[key]).strip())
    except ValueError:
        raise TopicError(f"Invalid value {config[key]} for configuration {key}") from None
    if value < minimum:
        raise TopicError(f"Invalid value {value} for configuration {key}: must be >= {minimum}")
    return value
