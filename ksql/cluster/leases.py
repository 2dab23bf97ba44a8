"""Partition leases from the heartbeat topic: which source partitions of a query a server owns.

Kafka's group protocol moves the partitions of a member that stops heartbeating only when the
broker expires its session; brokers without session expiry (noida-db) never do. So by default
(`ksql.cluster.assignment=leases`) the servers assign partitions themselves, from the heartbeat
topic every member appends to each second (node.py):

- Every server computes the same range assignment of a query's partitions over the sorted ids
  of the members alive in its view, and *claims* its share in its next heartbeat. The offset of
  the first heartbeat that carries a claim is the claim's stamp.
- A server *owns* a claimed partition when no other live member's latest heartbeat claims it
  with an older stamp. A partition it is no longer assigned is dropped from its claims and from
  the query's reader before its next heartbeat, so the next owner (which waits for that
  heartbeat) starts after the last micro-batch of the previous one committed.
- A member whose heartbeats stop is dead after `ksql.cluster.member.timeout.ms`; its claims no
  longer count, and before the new owner restores state its open transactions are aborted.
  A server that could not heartbeat for that long drops all its leases first.

The group `_confluent-ksql-<service id>query_<ID>` still holds the committed source offsets
(read and written by a consumer that does not join the group).
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer

from ksql.cluster.membership import GroupOffsets, group_consumer_config

TIMEOUT_S = 10.0


def range_assignment(members: list[str], partitions: int, me: str) -> set[int]:
    """Kafka's range assignor for one topic: consecutive blocks, the first ones one larger."""
    if me not in members or partitions <= 0:
        return set()
    index, count = members.index(me), len(members)
    size, extra = divmod(partitions, count)
    start = index * size + min(index, extra)
    return set(range(start, start + size + (1 if index < extra else 0)))


class LeaseMembership(GroupOffsets):
    """The leases of one query on this server; `update()` runs after each heartbeat."""

    def __init__(self, log, group: str, query_id: str, topic: str, client_id: str) -> None:
        self.log = log
        self.prefix = log.prefix
        self.group = group
        self.query_id = query_id
        self.topic = topic
        self.consumer = Consumer(group_consumer_config(log, group, client_id))
        self.claims: dict[int, int | None] = {}  # partition -> stamp (None: not written yet)
        self.assignment: set[tuple[str, int]] = set()
        self.changed = False

    # Driven by the node's heartbeat ---------------------------------------------------------

    def claim_payload(self) -> dict[str, int]:
        return {str(p): -1 if stamp is None else stamp for p, stamp in sorted(self.claims.items())}

    def stamp(self, offset: int) -> None:
        """The heartbeat at `offset` carried the claims not stamped yet."""
        for p, stamp in self.claims.items():
            if stamp is None:
                self.claims[p] = offset

    def release_all(self) -> None:
        self.claims.clear()
        self._own(set())

    def update(self, members: list[dict[str, Any]], me: str) -> None:
        """Claim this server's share of the live members' assignment; own what it won."""
        alive = sorted({m["instance"] for m in members if m["alive"]} | {me})
        target = range_assignment(alive, self.log.describe_topic(self.topic).partitions, me)
        for p in [p for p in self.claims if p not in target]:
            del self.claims[p]
        for p in target:
            self.claims.setdefault(p, None)
        owned = set()
        for p, stamp in self.claims.items():
            if stamp is None:
                continue
            ours = (stamp, me)
            rivals = [
                (c, m["instance"])
                for m in members
                if m["alive"]
                and m["instance"] != me
                and (c := _claim(m, self.query_id, p)) is not None
            ]
            if all(ours < rival for rival in rivals):
                owned.add(p)
        self._own(owned)

    def _own(self, partitions: set[int]) -> None:
        owned = {(self.topic, p) for p in partitions}
        if owned != self.assignment:
            self.assignment = owned
            self.changed = True

    # The membership interface the query runners use ----------------------------------------

    def poll(self) -> bool:
        changed, self.changed = self.changed, False
        return changed

    def reset(self) -> None:
        """After a failed micro-batch: own nothing until the next heartbeat decides again."""
        self.assignment = set()
        self.changed = False


def _claim(member: dict[str, Any], query_id: str, partition: int) -> int | None:
    """The stamp of a member's claim on a partition, or None."""
    stamp = member.get("claims", {}).get(query_id, {}).get(str(partition))
    if stamp is None:
        return None
    return member["offset"] if stamp < 0 else int(stamp)
