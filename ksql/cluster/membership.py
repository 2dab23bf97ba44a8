"""One query's membership in its consumer group: which source partitions this server owns.

The group `_confluent-ksql-<service id>query_<QUERY_ID>` subscribes to the query's source
topics; Kafka's group protocol balances their partitions over the servers running the query.
The consumer only takes part in the group: assigned partitions are paused at once, so it never
fetches (the query reads through the log's shared fetcher, restricted to the owned partitions).
It commits the query's source offsets, and gives the group metadata a transaction needs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from confluent_kafka import Consumer, KafkaException, TopicPartition

from ksql.errors import ExecutionError

_client_log = logging.getLogger("ksql.kafka.client")

# Consumer settings a user may tune with engine properties (`ksql.streams.` is stripped).
GROUP_SETTINGS = {
    "session.timeout.ms": "10000",
    "heartbeat.interval.ms": "1000",
    "max.poll.interval.ms": "300000",
    "partition.assignment.strategy": "range",
}
TIMEOUT_S = 10.0


def group_consumer_config(log, group: str, client_id: str) -> dict[str, object]:
    """Settings of a consumer that only joins the query's group and commits its offsets."""
    return {
        "bootstrap.servers": log.bootstrap_servers,
        "logger": _client_log,
        "group.id": log.prefix + group,
        "client.id": client_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
    }


class GroupOffsets:
    """A consumer of the query's group `_confluent-ksql-<service id>query_<ID>` that reads and
    commits its source offsets (next offset to read per owned partition)."""

    prefix: str
    group: str
    consumer: Consumer

    def committed(self, partitions: set[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """The group's committed offsets (next offset to read) of owned partitions."""
        if not partitions:
            return {}
        tps = [TopicPartition(self.prefix + t, p) for t, p in sorted(partitions)]
        try:
            found = self.consumer.committed(tps, timeout=TIMEOUT_S)
        except KafkaException as error:
            raise ExecutionError(f"Could not read offsets of group {self.group}: {error}") from None
        n = len(self.prefix)
        return {(tp.topic[n:], tp.partition): tp.offset for tp in found if tp.offset >= 0}

    def offsets(self, positions: Mapping[tuple[str, int], int]) -> list[TopicPartition]:
        return [TopicPartition(self.prefix + t, p, int(o)) for (t, p), o in positions.items()]

    def commit(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Commit next-offsets of owned partitions (fails if the group moved them away)."""
        if positions:
            self.consumer.commit(offsets=self.offsets(positions), asynchronous=False)

    def metadata(self):
        return self.consumer.consumer_group_metadata()

    def close(self) -> None:
        try:
            self.consumer.close()  # a member leaves the group: its partitions move at once
        except (KafkaException, RuntimeError):
            pass


class GroupMembership(GroupOffsets):
    """A paused consumer in a query's group; `poll()` runs rebalance callbacks."""

    def __init__(
        self,
        log,
        group: str,
        topics: list[str],
        properties: Mapping[str, str],
        client_id: str,
    ) -> None:
        self.prefix = log.prefix
        self.group = group
        conf = group_consumer_config(log, group, client_id)
        conf["auto.offset.reset"] = "earliest"
        for key, default in GROUP_SETTINGS.items():
            conf[key] = properties.get(key, default)
        self.consumer = Consumer(conf)
        self.assignment: set[tuple[str, int]] = set()
        self.changed = False  # the assignment changed since the last `take_change()`
        self.consumer.subscribe(
            [self.prefix + t for t in topics],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )

    # Rebalance callbacks (run inside poll(), on the thread that steps the query) -----------

    def _on_assign(self, consumer, partitions) -> None:
        consumer.assign(partitions)
        if partitions:
            consumer.pause(partitions)
        n = len(self.prefix)
        self.assignment = {(tp.topic[n:], tp.partition) for tp in partitions}
        self.changed = True

    def _on_revoke(self, consumer, partitions) -> None:
        consumer.unassign()
        self.assignment = set()
        self.changed = True

    # ---------------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Serve the group protocol; True when the assignment changed since the last call."""
        self.consumer.poll(0)
        changed, self.changed = self.changed, False
        return changed

    def reset(self) -> None:
        """After a failed micro-batch: resume the owned partitions from committed offsets."""
        self.changed = True
