"""Input data for the benchmark suite: Nexmark events as JSON-lines files, plus the same bytes
loaded into an embedded topic log that ksql runs copy.

`prepare(directory, events)` writes `bids.jsonl`, `auctions.jsonl` and `persons.jsonl` (the
first `events` events of the Nexmark mix: per 50, 1 person, 3 auctions, 46 bids) and
`ksql-log/` with topics `bids`, `auctions`, `persons` whose record values are those lines and
whose timestamps are their `dateTime` (auction and person records are keyed by id as JSON).
A `manifest.json` records the counts; a directory already prepared for `events` is reused.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nexmark import auction_table, bid_table, person_table, write_jsonl

from ksql.storage.log import TopicLog

TOPICS = ("bids", "auctions", "persons")
CHUNK = 500_000


def _bid_chunks(bids: int):
    for start in range(0, bids, CHUNK):
        yield bid_table(start, min(CHUNK, bids - start))


def prepare(directory: Path, events: int) -> dict[str, int]:
    """Generate (or reuse) the suite's input for `events` events; returns records per topic."""
    directory = Path(directory)
    manifest = directory / "manifest.json"
    if manifest.exists():
        counts = json.loads(manifest.read_text())
        if counts.get("events") == events:
            return counts
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    log = TopicLog(directory / "ksql-log")
    counts: dict[str, int] = {"events": events}
    sources = {
        "bids": lambda: _bid_chunks(events * 46 // 50),
        "auctions": lambda: iter([auction_table(events)]),
        "persons": lambda: iter([person_table(events)]),
    }
    for topic in TOPICS:
        log.create_topic(topic, partitions=1)
        lines = 0
        with open(directory / f"{topic}.jsonl", "wb") as out:
            for table in sources[topic]():
                lines += write_jsonl(out, [table])
                for batch in table.to_batches(max_chunksize=65536):
                    log.append(topic, 0, batch)
        counts[topic] = lines
    log.close()
    manifest.write_text(json.dumps(counts))
    return counts
