"""Rebuilding a persistent query's lost state from its source topics.

A stateful query commits its state and the source positions it consumed in one transaction on
its state file (transaction.py), then commits the same positions for its consumer group. When
the state file is gone (deleted, or damaged and set aside by state_files.py), the query reads
its sources again from where it started; when the state is behind the group (a rebuild that a
crash interrupted), from where the state ends. Either way it reads up to the group's positions
with its output held back (runner.py), so its state is again what it was and nothing is written
twice. Where each query started is kept for this as the consumer group `<group>-starts`.
"""

from __future__ import annotations

import logging

from ksql.runtime.runner import QueryRunner

STARTS_SUFFIX = "-starts"

_log = logging.getLogger(__name__)


def restore(
    runner: QueryRunner, log, group: str, committed: list[dict[int, int]], *, had_state: bool
) -> None:
    """Set `runner` (just built, with `committed` the group's positions per input) to rebuild
    its state if it has to; `had_state` says whether its state file was there to open."""
    readers = runner.input_readers()
    starts_group = group + STARTS_SUFFIX
    starts = log.offsets.group_offsets(starts_group)
    if not starts:
        # Step 1: remember where the query starts: here for a new query; the beginning of its
        # sources for one that ran before starts were recorded.
        starts = {
            (reader.topic, p): offset if not had_state else log.start_offset(reader.topic, p)
            for reader in readers
            for p, offset in reader.positions.items()
        }
        log.offsets.commit(starts_group, starts)
        if not had_state:
            return
    if not had_state:
        # Step 2: a lost state starts over from where the query started.
        for reader in readers:
            for p in list(reader.positions):
                reader.positions[p] = starts.get(
                    (reader.topic, p), log.start_offset(reader.topic, p)
                )
    # Step 3: read up to the group's positions with the output held back; a partition already
    # there stops where it is, so no new record is read while the output is held back.
    stops = [
        {p: min(offset, log.end_offset(reader.topic, p)) for p, offset in positions.items()}
        for reader, positions in zip(readers, committed, strict=True)
    ]
    behind = any(
        reader.positions.get(p, 0) < stop
        for reader, reader_stops in zip(readers, stops, strict=True)
        for p, stop in reader_stops.items()
    )
    if not behind:
        return
    for reader, reader_stops in zip(readers, stops, strict=True):
        reader.stops = reader_stops
    _log.warning(
        "Query %s %s: rebuilding it from its source topics (%s), its output held back until then",
        runner.query_id,
        "had no state file" if not had_state else "has state behind its committed offsets",
        "; ".join(
            f"{r.topic} partition {p} offsets {r.positions.get(p, 0)} to {stop}"
            for r in readers
            for p, stop in sorted(r.stops.items())
            if r.positions.get(p, 0) < stop
        ),
    )
