"""The source offsets of the PostgreSQL connector: what a record's offset holds, the sort key
that lets the runtime skip records it already wrote, and where a restarted task resumes.

A snapshot record's offset: {"snapshot": True, "last_snapshot_record": bool, "snapshot_lsn":
S, "lsn": S, "seq": row number, "snapshot_txs": ...}. A streamed record's: {"lsn": commit LSN
of its transaction, "txId": xid, "seq": its number in the transaction (from 1), "ts_usec":
commit time, "snapshot_lsn": S} plus "snapshot_txs" while the stream may still hold
transactions the snapshot has. S is the WAL position of the last snapshot (0 without one),
and `snapshot_txs` the snapshot's transactions (see `snapshot.SnapshotPoint`).

The order is (S, 0 for snapshot / 1 for stream, lsn, seq). Transactions stream in commit
order, so it grows along the stream; a snapshot taken again starts at a later S, so its rows
are never mistaken for rows already written by an earlier one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ksql.connect.debezium.snapshot import SnapshotPoint


def snapshot_offset(point: SnapshotPoint, row: int, last: bool) -> dict[str, Any]:
    return {
        "snapshot": True, "last_snapshot_record": last, "snapshot_lsn": point.lsn,
        "lsn": point.lsn, "seq": row, "snapshot_txs": point.text,
    }  # fmt: skip


def order(offset: Mapping[str, Any]) -> tuple[int, int, int, int]:
    return (
        int(offset.get("snapshot_lsn", 0)),
        0 if offset.get("snapshot") else 1,
        int(offset.get("lsn", 0)),
        int(offset.get("seq", 0)),
    )


@dataclass(frozen=True, slots=True)
class Resume:
    """What a starting task does: take a snapshot, then (unless `stream` is False) stream
    from `start_lsn`, skipping records up to `after` = (commit LSN, seq)."""

    snapshot: bool
    stream: bool
    snapshot_lsn: int = 0
    point: SnapshotPoint | None = None
    start_lsn: int = 0
    after: tuple[int, int] | None = None


def resume(stored: Mapping[str, Any] | None, mode: str) -> Resume:
    """The plan for `snapshot.mode` `mode` given the last stored offset."""
    stream = mode != "initial_only"
    snapshot_done = stored is not None and (
        not stored.get("snapshot") or bool(stored.get("last_snapshot_record"))
    )
    if mode == "always" or (mode != "never" and not snapshot_done):
        return Resume(snapshot=True, stream=stream)  # an unfinished snapshot starts over
    return dataclasses.replace(stream_from(stored), stream=stream)


def stream_from(position: Mapping[str, Any] | None) -> Resume:
    """Streaming that follows the record whose offset is `position` (None: the slot's
    start), as after a restart or a lost replication connection."""
    if position is None:
        return Resume(snapshot=False, stream=True)
    snapshot_lsn = int(position.get("snapshot_lsn", 0))
    txs = position.get("snapshot_txs")
    point = SnapshotPoint.parse(snapshot_lsn, txs) if txs else None
    if position.get("snapshot"):
        return Resume(snapshot=False, stream=True, snapshot_lsn=snapshot_lsn, point=point)
    lsn, seq = int(position["lsn"]), int(position["seq"])
    return Resume(
        snapshot=False, stream=True, snapshot_lsn=snapshot_lsn, point=point,
        start_lsn=lsn, after=(lsn, seq),
    )  # fmt: skip
