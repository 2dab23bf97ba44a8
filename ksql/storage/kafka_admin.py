"""Topic administration on a Kafka cluster: create, describe, list and delete, with a short cache.

Names given to and returned from this module are the log's names; on the cluster every topic
carries the log's prefix (empty by default; the conformance runner isolates cases with it).
Metadata is read with whole-cluster requests only: a metadata request naming a topic makes some
brokers auto-create it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from ksql.errors import TopicError
from ksql.storage.topics import TopicConfig, TopicInfo, validate_topic_name

TIMEOUT_S = 10.0
CACHE_TTL_S = 5.0
DYNAMIC_TOPIC_CONFIG = 1  # ConfigSource of per-topic overrides


class KafkaTopics:
    """Topic metadata for one log; describe results are cached for CACHE_TTL_S."""

    def __init__(
        self,
        admin: AdminClient,
        *,
        prefix: str = "",
        default_config: Mapping[str, str] | None = None,
    ) -> None:
        self.admin = admin
        self.prefix = prefix
        self.default_config = {str(k): str(v) for k, v in (default_config or {}).items()}
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, TopicInfo]] = {}

    def create(
        self, name: str, partitions: int, replicas: int, config: Mapping[str, str] | None
    ) -> TopicInfo:
        validate_topic_name(name)
        if int(partitions) < 1:
            raise TopicError(f"Number of partitions must be larger than 0 for topic {name}")
        if int(replicas) < 1:
            raise TopicError(f"Replication factor must be larger than 0 for topic {name}")
        given = {str(k): str(v) for k, v in (config or {}).items()}
        TopicConfig.parse(given)
        full = {**self.default_config, **given}
        new = NewTopic(self.prefix + name, int(partitions), int(replicas), config=full)
        for future in self.admin.create_topics([new], request_timeout=TIMEOUT_S).values():
            try:
                future.result()
            except KafkaException as error:
                if "TOPIC_ALREADY_EXISTS" in str(error):
                    raise TopicError(f"Topic '{name}' already exists.") from None
                raise TopicError(f"Could not create topic '{name}': {_text(error)}") from None
        self._await(name, present=True)
        info = TopicInfo(name, int(partitions), int(replicas), full)
        with self._lock:
            self._cache[name] = (time.monotonic(), info)
        return info

    def exists(self, name: str) -> bool:
        return self._lookup(name) is not None

    def describe(self, name: str) -> TopicInfo:
        info = self._lookup(name)
        if info is None:
            raise TopicError(f"Topic '{name}' does not exist")
        return info

    def list(self) -> list[TopicInfo]:
        names = sorted(self._metadata())
        return [self.describe(n) for n in names]

    def delete(self, name: str) -> None:
        self.describe(name)
        futures = self.admin.delete_topics([self.prefix + name], request_timeout=TIMEOUT_S)
        for future in futures.values():
            try:
                future.result()
            except KafkaException as error:
                raise TopicError(f"Could not delete topic '{name}': {_text(error)}") from None
        with self._lock:
            self._cache.pop(name, None)
        self._await(name, present=False)

    def forget(self, name: str) -> None:
        with self._lock:
            self._cache.pop(name, None)

    # Internals -----------------------------------------------------------------------------

    def _lookup(self, name: str) -> TopicInfo | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now - cached[0] < CACHE_TTL_S:
            return cached[1]
        metadata = self._metadata()
        if name not in metadata:
            self.forget(name)
            return None
        partitions, replicas = metadata[name]
        if cached is not None:
            config = cached[1].config
        else:
            config = self._overrides(name)
        info = TopicInfo(name, partitions, replicas, config)
        with self._lock:
            self._cache[name] = (now, info)
        return info

    def _metadata(self) -> dict[str, tuple[int, int]]:
        """name -> (partitions, replicas) of this log's topics, from one metadata request."""
        try:
            metadata = self.admin.list_topics(timeout=TIMEOUT_S)
        except KafkaException as error:
            raise TopicError(f"Could not list topics: {_text(error)}") from None
        n = len(self.prefix)
        found = {}
        for full, topic in metadata.topics.items():
            if not full.startswith(self.prefix) or full.startswith("__") or topic.error is not None:
                continue
            parts = topic.partitions
            replicas = max((len(p.replicas) for p in parts.values()), default=1)
            found[full[n:]] = (len(parts), replicas)
        return found

    def _overrides(self, name: str) -> dict[str, str]:
        resource = ConfigResource(ConfigResource.Type.TOPIC, self.prefix + name)
        try:
            futures = self.admin.describe_configs([resource], request_timeout=TIMEOUT_S)
            entries = next(iter(futures.values())).result()
        except KafkaException as error:
            raise TopicError(f"Could not describe topic '{name}': {_text(error)}") from None
        return {
            k: str(e.value)
            for k, e in sorted(entries.items())
            if e.source == DYNAMIC_TOPIC_CONFIG and e.value is not None
        }

    def _await(self, name: str, *, present: bool) -> None:
        """Wait until metadata shows the change, so the next produce or create sees it."""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            metadata = self._metadata()
            if (name in metadata and metadata[name][0] > 0) == present:
                return
            time.sleep(0.02)
        state = "appear" if present else "go away"
        raise TopicError(f"Topic '{name}' did not {state} within {TIMEOUT_S:.0f}s")


def _text(error: KafkaException) -> str:
    inner = error.args[0] if error.args else error
    return inner.str() if hasattr(inner, "str") else str(inner)
