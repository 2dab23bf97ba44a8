"""Vectorized generator of Nexmark bid records as JSON, written straight into the topic log."""

from __future__ import annotations

import duckdb
import pyarrow as pa

BASE_TIME_MS = 1_700_000_000_000
EVENTS_PER_SECOND = 100_000  # Nexmark V2: event time advances 10 us per event


def bid_table(start: int, count: int) -> pa.Table:
    """`count` bids as an Arrow table with a JSON `value` column (about 100-150 bytes each).

    Skew as in Nexmark: half the bids go to a hot auction, 3/4 come from a hot bidder.
    """
    con = duckdb.connect()
    return con.sql(
        f"""
        WITH ids AS (SELECT range AS n FROM range({start}, {start + count})),
        bids AS (
            SELECT n,
                CASE WHEN hash(n, 1) % 2 = 0 THEN 1000 ELSE 1000 + hash(n, 2) % 100 END AS auction,
                CASE WHEN hash(n, 3) % 4 <> 0 THEN 2000 ELSE 2000 + hash(n, 4) % 1000 END AS bidder,
                CAST(round(pow(10, (hash(n, 5) % 1000000) / 1000000.0 * 6) * 100) AS BIGINT) AS price,
                ['Google', 'Facebook', 'Baidu', 'Apple'][CAST(1 + hash(n, 6) % 4 AS BIGINT)] AS channel,
                'https://www.nexmark.com/item.htm?query=' || (hash(n, 7) % 1000)::VARCHAR AS url,
                {BASE_TIME_MS} + n * 1000 // {EVENTS_PER_SECOND} AS date_time,
                repeat('x', 16) AS extra
            FROM ids
        )
        SELECT NULL::BLOB AS key,
            to_json(struct_pack(auction, bidder, price, channel, url,
                                "dateTime" := date_time, extra))::BLOB AS value,
            date_time AS timestamp
        FROM bids ORDER BY n
        """
    ).to_arrow_table()


def load_bids(log, topic: str, count: int, *, chunk: int = 250_000) -> None:
    """Append `count` bid records to partition 0 of `topic`."""
    headers_type = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
    for start in range(0, count, chunk):
        table = bid_table(start, min(chunk, count - start))
        batch = pa.table(
            {
                "key": table.column("key"),
                "value": table.column("value"),
                "timestamp": table.column("timestamp").cast(pa.int64()),
                "headers": pa.nulls(table.num_rows, headers_type),
            }
        )
        for rb in batch.to_batches(max_chunksize=65536):
            log.append(topic, 0, rb)
