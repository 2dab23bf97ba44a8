"""Consumer-group committed offsets kept by the Kafka cluster (same interface as OffsetStore).

Commits go through the admin API (OffsetCommit on behalf of a group with no live members), so
one client serves every query's group; the offsets are ordinary consumer-group offsets that
`kafka-consumer-groups` and any Kafka client see. Group ids carry the log's topic prefix.
"""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from ksql.errors import ExecutionError

TIMEOUT_S = 10.0


class KafkaOffsetStore:
    """Committed offsets per (group, topic, partition); the offset is the next one to read."""

    def __init__(self, admin: AdminClient, *, prefix: str = "") -> None:
        self._admin: AdminClient | None = admin
        self.prefix = prefix

    def _client(self) -> AdminClient:
        if self._admin is None:
            raise ExecutionError("The offset store is closed")
        return self._admin

    def commit(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        """Record the next offset to read for each (topic, partition) in one OffsetCommit."""
        tps = [TopicPartition(self.prefix + t, int(p), int(o)) for (t, p), o in offsets.items()]
        if not tps:
            return
        request = ConsumerGroupTopicPartitions(self.prefix + group, tps)
        futures = self._client().alter_consumer_group_offsets([request], request_timeout=TIMEOUT_S)
        for future in futures.values():
            result = _result(future, f"commit offsets of group {group}")
            for tp in result.topic_partitions:
                if tp.error is not None:
                    raise ExecutionError(f"Could not commit offsets of group {group}: {tp.error}")

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        found = self._fetch(group, [TopicPartition(self.prefix + topic, int(partition))])
        return found.get((topic, int(partition)))

    def group_offsets(self, group: str) -> dict[tuple[str, int], int]:
        return dict(sorted(self._fetch(group, None).items()))

    def groups(self) -> list[str]:
        future = self._client().list_consumer_groups(request_timeout=TIMEOUT_S)
        listing = _result(future, "list consumer groups")
        n = len(self.prefix)
        names = [g.group_id for g in listing.valid if g.group_id.startswith(self.prefix)]
        return sorted(name[n:] for name in names)

    def delete_group(self, group: str) -> None:
        futures = self._client().delete_consumer_groups(
            [self.prefix + group], request_timeout=TIMEOUT_S
        )
        for future in futures.values():
            try:
                future.result()
            except KafkaException as error:
                if "GROUP_ID_NOT_FOUND" not in str(error):
                    raise ExecutionError(f"Could not delete group {group}: {error}") from None

    def delete_topic(self, topic: str) -> None:
        """Nothing to do: the cluster drops offsets of deleted topics itself."""

    def close(self) -> None:
        self._admin = None

    def _fetch(self, group: str, tps: list[TopicPartition] | None) -> dict[tuple[str, int], int]:
        request = ConsumerGroupTopicPartitions(self.prefix + group, tps)
        futures = self._client().list_consumer_group_offsets([request], request_timeout=TIMEOUT_S)
        found: dict[tuple[str, int], int] = {}
        n = len(self.prefix)
        for future in futures.values():
            result = _result(future, f"read offsets of group {group}")
            for tp in result.topic_partitions or []:
                if tp.error is None and tp.offset >= 0 and tp.topic.startswith(self.prefix):
                    found[(tp.topic[n:], int(tp.partition))] = int(tp.offset)
        return found


def _result(future, what: str):
    try:
        return future.result()
    except KafkaException as error:
        raise ExecutionError(f"Could not {what}: {error}") from None
