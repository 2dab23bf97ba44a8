"""Decode and encode throughput of the formats on 1M Nexmark-bid-shaped records."""

from __future__ import annotations

import argparse
import random
import time

import orjson
import pyarrow as pa

from ksql.formats.base import get_format
from ksql.types import BIGINT, STRING, TIMESTAMP

COLUMNS = [
    ("AUCTION", BIGINT),
    ("BIDDER", BIGINT),
    ("PRICE", BIGINT),
    ("CHANNEL", STRING),
    ("URL", STRING),
    ("DATETIME", TIMESTAMP),
    ("EXTRA", STRING),
]


def bids_json(n: int, *, upper: bool) -> pa.Array:
    rng = random.Random(42)
    records = []
    for i in range(n):
        bid = {
            "auction": rng.randint(1000, 99999),
            "bidder": rng.randint(1000, 99999),
            "price": rng.randint(100, 9_999_999),
            "channel": f"channel-{rng.randint(1, 100)}",
            "url": f"https://nx.io/{rng.randint(1, 9999)}",
            "dateTime": 1_700_000_000_000 + i,
            "extra": "",
        }
        if upper:
            bid = {k.upper(): v for k, v in bid.items()}
        records.append(orjson.dumps(bid))
    return pa.array(records, pa.binary())


def measure(label: str, n: int, fn, *args, **kwargs) -> object:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"{label:<40} {n / elapsed:>12,.0f} records/s  ({elapsed:.3f} s)")
    return out


def run(fmt_name: str, n: int, *, upper: bool) -> None:
    fmt = get_format(fmt_name)
    if fmt_name == "JSON":
        data = bids_json(n, upper=upper)
    else:
        table = get_format("JSON").decode(bids_json(n, upper=True), COLUMNS, wrap_single=None).table
        data = fmt.encode(table, COLUMNS, wrap_single=None)
    size = sum(len(b) for b in data.slice(0, 1000).to_pylist()) / 1000
    keys = "camelCase keys, " if fmt_name == "JSON" and not upper else ""
    result = measure(
        f"{fmt_name} decode ({keys}{size:.0f} B)", n, fmt.decode, data, COLUMNS, wrap_single=None
    )
    assert result.errors is None
    measure(f"{fmt_name} encode", n, fmt.encode, result.table, COLUMNS, wrap_single=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1_000_000)
    n = parser.parse_args().n
    run("JSON", n, upper=False)
    run("JSON", n, upper=True)
    run("DELIMITED", n, upper=True)


if __name__ == "__main__":
    main()
