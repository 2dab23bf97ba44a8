"""Persistent queries in cluster mode: each server processes the partitions it owns.

A query's runner gets its partitions from leases (leases.py, default) or from Kafka's group
protocol (membership.py) and reads only the owned partitions, from the committed offsets of the
group `_confluent-ksql-<service id>query_<ID>`. A stateless query commits offsets after
writing its output (at-least-once). An aggregation also writes the changed state of each
touched group key to its changelog topic (the stores its runner declares with
`changelog=True`) and, when it is given partitions, rebuilds its local state from the
changelog of the partitions it owns before it processes a record. With `processing.guarantee=exactly_once_v2` the outputs, the
changelog records and the offsets of a micro-batch commit in one Kafka transaction.
"""

from __future__ import annotations

import logging

import pyarrow as pa
from confluent_kafka import KafkaException

from ksql.cluster.changelog import PARTITION, Changelog, changelog_topic, ensure_changelog
from ksql.cluster.membership import GroupMembership
from ksql.cluster.transactions import TransactionalLog
from ksql.runtime.aggregation_query import AggregationQuery
from ksql.runtime.decode import DELETED
from ksql.runtime.runner import StatelessQuery
from ksql.runtime.transaction import step_transaction
from ksql.types import quote_identifier as q

_log = logging.getLogger(__name__)

EXACTLY_ONCE = ("exactly_once", "exactly_once_v2", "exactly_once_beta")


class _GroupMember:
    """What both cluster runners share: group membership, owned partitions, offsets."""

    membership: GroupMembership

    def _join_group(
        self, node, group: str, properties: dict[str, str], name: str | None = None
    ) -> None:
        """`name` tells apart the leases of several stages of one query (default: its id)."""
        self.node = node
        self.group = group
        self.name = name or self.query_id
        self.txn_group = group if name is None else f"{group}-{name.rsplit('-', 1)[-1]}"
        self.membership = node.membership(group, self.name, self.reader.topic, properties)
        self.reset = properties.get("auto.offset.reset", "latest").lower()
        self.reader.assigned = set()  # nothing is read until the group assigns partitions
        node.register(self)

    @property
    def owned(self) -> list[tuple[str, int]]:
        return [(self.reader.topic, p) for p in sorted(self.reader.assigned or ())]

    def _serve_group(self) -> None:
        if self.membership.poll():
            self._on_assignment(
                {p for t, p in self.membership.assignment if t == self.reader.topic}
            )

    def _on_assignment(self, partitions: set[int]) -> None:
        """Resume each owned partition from the group's committed offset."""
        topic = self.reader.topic
        committed = self.membership.committed({(topic, p) for p in partitions})
        for p in partitions:
            if (topic, p) in committed:
                self.reader.positions[p] = committed[(topic, p)]
            elif self.reset == "earliest":
                self.reader.positions[p] = self.log.start_offset(topic, p)
            else:
                self.reader.positions[p] = self.log.end_offset(topic, p)
        self.reader.assigned = set(partitions)
        _log.info("%s owns partitions %s of %s", self.name, sorted(partitions), topic)
        # With transactions, abort what dead members left open on these partitions (outputs
        # and changelog records), so read_committed readers get past them.
        if partitions and getattr(self, "txn", None) is not None:
            self.node.fence_dead(self.txn_group)

    def _owned_positions(self) -> dict[tuple[str, int], int]:
        return {(t, p): self.reader.positions[p] for t, p in self.owned}

    def _commit_group(self) -> None:
        try:
            self.membership.commit(self._owned_positions())
        except KafkaException as error:  # a rebalance took the partitions: they move on
            _log.warning("%s: offset commit failed (%s)", self.query_id, error)

    def _leave_group(self) -> None:
        self.membership.close()


class ClusterStatelessQuery(_GroupMember, StatelessQuery):
    """A stateless query over the owned partitions; offsets committed after the output."""

    def __init__(self, *args, node, group: str, properties: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commit_offsets = lambda _positions: self._commit_group()
        self._join_group(node, group, properties)

    def step(self, max_records: int = 65536) -> int:
        self._serve_group()
        if not self.reader.assigned:
            return 0
        return super().step(max_records)

    def close(self) -> None:
        self._leave_group()


class ClusterAggregationQuery(_GroupMember, AggregationQuery):
    """An aggregation over the owned partitions whose state lives in a changelog topic."""

    def __init__(self, *args, node, group: str, properties: dict[str, str], **kwargs) -> None:
        super().__init__(*args, properties=properties, **kwargs)
        service_id = properties.get("ksql.service.id", "default_")
        topic = changelog_topic(service_id, self.query_id)
        partitions = self.log.describe_topic(self.reader.topic).partitions
        ensure_changelog(self.log, topic, partitions)
        self.key_names = [k.name for k in self.analysis.keys]
        guarantee = properties.get("processing.guarantee", "at_least_once").lower()
        self.txn = None
        if guarantee in EXACTLY_ONCE:
            self.txn = TransactionalLog(self.log, node.transactional_id(group), properties)
            self.log = self.txn  # sink and changelog records go into the transaction
            self.reader.log = self.txn
        self.changelog = Changelog(self.log, topic, self.db, self.state_stores(), self.key_names)
        keys = ", ".join(f"{k.sql} AS {q(k.name)}" for k in self.analysis.keys)
        self.touched_sql = (
            f'SELECT DISTINCT {keys}, "ROWPARTITION" AS {q(PARTITION)} FROM batch '
            f"WHERE NOT {DELETED} AND "
            + " AND ".join(f"({k.sql}) IS NOT NULL" for k in self.analysis.keys)
            + (f" AND ({self.analysis.where_sql})" if self.analysis.where_sql else "")
        )
        self._join_group(node, group, properties)

    def _on_assignment(self, partitions: set[int]) -> None:
        # Step 1: positions from the group's committed offsets.
        super()._on_assignment(partitions)
        # Step 2: the owned partitions' state from the changelog, replacing the local state.
        try:
            with step_transaction(self.db, [], self._reload):
                restored = self.changelog.restore(partitions)
                self._save_positions()
        except BaseException:
            self.reader.assigned = set()
            raise
        _log.info("%s restored %d state rows of partitions %s", self.query_id, restored,
                  sorted(partitions))  # fmt: skip

    def step(self, max_records: int = 65536) -> int:
        self._serve_group()
        if not self.reader.assigned:
            return 0
        # Step 1: read the owned partitions.
        records = self.reader.poll(max_records)
        if records is None:
            return 0
        if self.txn is not None:
            self.txn.begin()
        try:
            with self._transaction():
                # Step 2: decode, aggregate, write the output (into the transaction with EOS).
                decoded = self._decode(records)
                self._aggregate(decoded)
                # Step 3: the changed state of every touched key to the changelog.
                if decoded.num_rows:
                    self.changelog.write(self._touched(decoded))
                # Step 4: commit the Kafka transaction with the source offsets, then local state.
                if self.txn is not None:
                    offsets = self.membership.offsets(self._owned_positions())
                    self.txn.commit(offsets, self.membership.metadata())
                self._save_positions()
        except Exception as error:  # noqa: BLE001 - roll back and resume from committed
            _log.warning("%s: micro-batch rolled back (%s)", self.query_id, error)
            if self.txn is not None:
                self.txn.abort()
            self.reader.assigned = set()  # resume from committed offsets and changelogs
            self.membership.reset()
            return 0
        if self.txn is None:
            # At-least-once: offsets after the output and the changelog are acknowledged.
            self._commit_group()
        return records.num_rows

    def _touched(self, decoded: pa.Table) -> pa.Table:
        return self._query(self.touched_sql, "batch", decoded)

    def close(self) -> None:
        self._leave_group()
        if self.txn is not None:
            self.txn.close()
        super().close()
