"""This server as a member of a ksql cluster: identity, heartbeats, members, query runners.

Servers with the same `ksql.service.id` (and `ksql.cluster.enabled=true`) form a cluster. Each
one appends a heartbeat every second to `_confluent-ksql-<service id>_cluster_heartbeats`
(one partition): its advertised URL, its instance id, per query the partitions it claims
(leases.py) and the next offset of each partition it owns. The members list (/clusterStatus)
is the latest heartbeat of each instance; a member is alive while its last heartbeat is younger
than `ksql.cluster.member.timeout.ms`. A member found dead gets its open transactions aborted.
"""

from __future__ import annotations

import logging
import time
import uuid
import weakref
from pathlib import Path
from typing import Any

import orjson

from ksql.errors import TopicError
from ksql.storage.records import make_records

_client_log = logging.getLogger("ksql.kafka.client")
_log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
MEMBER_TIMEOUT_MS = 5000
HEARTBEAT_TAIL = 400  # heartbeats read back to find the members


def heartbeat_topic(service_id: str) -> str:
    return f"_confluent-ksql-{service_id}_cluster_heartbeats"


class ClusterNode:
    """What an engine needs to run its persistent queries with the other servers."""

    def __init__(self, engine) -> None:
        props = engine.properties
        self.log = engine.log
        self.service_id = props.get("ksql.service.id", "default_")
        self.instance_id = _instance_id(Path(engine.data_dir))
        self.url = props.get("ksql.advertised.listener") or f"ksql://{self.instance_id}"
        self.timeout_ms = int(props.get("ksql.cluster.member.timeout.ms", MEMBER_TIMEOUT_MS))
        self.leases = props.get("ksql.cluster.assignment", "leases").lower() != "group"
        self.topic = heartbeat_topic(self.service_id)
        if not self.log.topic_exists(self.topic):
            try:
                self.log.create_topic(self.topic, 1, 1, {"retention.ms": "3600000"})
            except TopicError:  # another server created it first
                if not self.log.topic_exists(self.topic):
                    raise
        self._runners: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._next_beat = 0.0
        self._last_beat_ms: int | None = None
        self._fenced: set[tuple[str, int]] = set()
        self._members_cache: tuple[float, list[dict[str, Any]]] | None = None

    # Queries -------------------------------------------------------------------------------

    def membership(self, group: str, query_id: str, topic: str, properties: dict[str, str]):
        """Leases from the heartbeats (default), or Kafka's group protocol."""
        if self.leases:
            from ksql.cluster.leases import LeaseMembership

            return LeaseMembership(self.log, group, query_id, topic, self.url)
        from ksql.cluster.membership import GroupMembership

        return GroupMembership(self.log, group, [topic], properties, client_id=self.url)

    def register(self, runner) -> None:
        self._runners[runner.name] = runner
        self._next_beat = 0.0  # claim its partitions at the next step

    def assignments(self) -> dict[str, dict[str, Any]]:
        """Per query: its source topic and, per partition this server owns, the next offset."""
        out = {}
        for qid, runner in sorted(self._runners.items()):
            reader = runner.reader
            owned = sorted(reader.assigned or ())
            out[qid] = {
                "topic": reader.topic,
                "positions": {str(p): int(reader.positions.get(p, 0)) for p in owned},
            }
        return out

    # Transactions of dead members ----------------------------------------------------------

    def transactional_id(self, group: str, instance_id: str | None = None) -> str:
        return f"{group}-{instance_id or self.instance_id}"

    def fence(self, group: str, member: dict[str, Any]) -> None:
        """Abort a member's open transaction of `group` by initializing its transactional id."""
        from confluent_kafka import Producer

        tid = self.log.prefix + self.transactional_id(group, member["instance"])
        producer = Producer({"bootstrap.servers": self.log.bootstrap_servers,
                             "transactional.id": tid, "logger": _client_log})  # fmt: skip
        producer.init_transactions(30.0)
        producer.flush(1.0)

    def fence_dead(self, group: str) -> list[str]:
        fenced = []
        for member in self.members():
            if not member["alive"] and member["instance"] != self.instance_id:
                self.fence(group, member)
                fenced.append(member["url"])
        return fenced

    # Heartbeats and members ----------------------------------------------------------------

    def heartbeat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_beat:
            return
        self._next_beat = now + HEARTBEAT_S
        runners = list(self._runners.values())
        leases = [r.membership for r in runners if hasattr(r.membership, "claim_payload")]
        now_ms = int(time.time() * 1000)
        # Step 1: a server that could not heartbeat in time may have lost its leases already.
        if self._last_beat_ms is not None and now_ms - self._last_beat_ms > self.timeout_ms:
            _log.warning("heartbeat %d ms late: dropping all leases", now_ms - self._last_beat_ms)
            for lease in leases:
                lease.release_all()
        # Step 2: append this server's heartbeat; its new claims are stamped with its offset.
        beat = {
            "url": self.url,
            "instance": self.instance_id,
            "ts": now_ms,
            "assignments": self.assignments(),
            "claims": {lease.query_id: lease.claim_payload() for lease in leases},
        }
        records = make_records([self.instance_id.encode()], [orjson.dumps(beat)], [now_ms], [[]])
        offset = self.log.append(self.topic, 0, records)
        self._last_beat_ms = now_ms
        for lease in leases:
            lease.stamp(offset)
        if not runners:
            return
        # Step 3: abort what newly dead members left open; then decide the leases.
        members = self.members()
        txn_groups = [r.txn_group for r in runners if getattr(r, "txn", None) is not None]
        for member in members:
            tag = (member["instance"], member["ts"])
            mine = member["instance"] == self.instance_id
            if not member["alive"] and not mine and tag not in self._fenced:
                self._fenced.add(tag)
                for group in txn_groups:
                    self.fence(group, member)
        for lease in leases:
            lease.update(members, self.instance_id)

    def members(self) -> list[dict[str, Any]]:
        """The latest heartbeat of each member (with its `offset` and `alive`), by URL."""
        end = self.log.end_offset(self.topic, 0)
        offset = max(self.log.start_offset(self.topic, 0), end - HEARTBEAT_TAIL)
        latest: dict[str, dict[str, Any]] = {}
        while offset < end:
            batch = self.log.read(self.topic, 0, offset)
            if batch.num_rows == 0:
                break
            offsets = batch.column("offset").to_pylist()
            for value, at in zip(batch.column("value").to_pylist(), offsets, strict=True):
                if value:
                    beat = orjson.loads(value)
                    beat["offset"] = at
                    latest[beat["instance"]] = beat
            offset = offsets[-1] + 1
        now_ms = int(time.time() * 1000)
        for beat in latest.values():
            beat["alive"] = now_ms - int(beat["ts"]) < self.timeout_ms
        return sorted(latest.values(), key=lambda b: (b["url"], b["instance"]))

    # Read-only helpers for routing pull queries (server/pull_forward.py) --------------------

    def lease_input(self, query_id: str) -> tuple[str, Any] | None:
        """The topic whose partitions a query's state is leased by, and that topic's source
        (its key columns and key format place keys on partitions); None if not running here.
        For an aggregation through a repartition topic this is the repartition topic."""
        runner = self._runners.get(query_id)
        if runner is None:
            return None
        return runner.reader.topic, runner.analysis.source

    def partition_owner(
        self, query_id: str, partition: int, max_age_s: float = 0.5
    ) -> dict[str, Any] | None:
        """The live member whose latest heartbeat says it owns `partition` of the query's
        input (its `assignments`), or None while nobody does (e.g. during a handover).
        Members are read at most every `max_age_s` seconds."""
        now = time.monotonic()
        cached = self._members_cache
        if cached is None or now - cached[0] > max_age_s:
            cached = self._members_cache = (now, self.members())
        for member in cached[1]:
            owned = member.get("assignments", {}).get(query_id, {}).get("positions", {})
            if member["alive"] and str(partition) in owned:
                return member
        return None

    def close(self) -> None:
        self._runners.clear()


def _instance_id(data_dir: Path) -> str:
    """A stable id per data directory (names this server's transactional producers)."""
    path = data_dir / "cluster_instance_id"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        value = uuid.uuid4().hex[:12]
        path.write_text(value)
        return value
