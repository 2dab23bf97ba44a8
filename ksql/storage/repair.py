"""`ksql-repair <data-dir>`: check every frame of the embedded log and set damaged ones aside.

A damaged segment stops its partition (see partition.py) rather than losing the intact records
after the damage. This command, run while no server uses the data directory, checks the CRC
of every frame, copies damaged bytes to `<segment>.quarantine` beside the segment and keeps
every intact frame with its offsets (see quarantine.py); the partition then works again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ksql.errors import KsqlError
from ksql.storage.kafka_backend import open_topic_log
from ksql.storage.quarantine import SetAside


def repair(data_dir: Path) -> list[SetAside]:
    """Repair the embedded log of the data directory `data_dir` (taking its lock)."""
    with open_topic_log(data_dir, None) as log:
        return log.repair()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ksql-repair", description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the data directory of ksql-server")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        print(f"ksql-repair: {args.data_dir} is not a directory", file=sys.stderr)
        return 2
    try:
        repaired = repair(args.data_dir)
    except KsqlError as error:
        print(f"ksql-repair: {error.message}", file=sys.stderr)
        return 1
    for done in repaired:
        print(done.describe())
    print(f"ksql-repair: {len(repaired)} segment(s) repaired in {args.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
