"""Vectorized generator of Nexmark bid records as JSON, written straight into the topic log."""

from __future__ import annotations

import duckdb
import pyarrow as pa

BASE_TIME_MS = 1_700_000_000_000
EVENTS_PER_SECOND = 100_000  # Nexmark V2: event time advances 10 us per event


def bid_table(start: int, count: int) -> pa.Table:
    """`count` bids as an Arrow table with a JSON `value` column (about 170 bytes each).

    Ids as in the Nexmark generator: bid n is event ~n * 50 / 46 of the mixed stream (1 person
    and 3 auctions per 50 events), so auction and person ids grow with event time from 1000.
    Half the bids go to the hot auction (the newest id rounded down to a multiple of 100), the
    rest to one of the ~100 auctions in flight; 3/4 come from the hot bidder, the rest from one
    of the ~1,000 active people. So `auction % 123 = 0` (Nexmark q2) selects about 1/123 of bids.
    """
    con = duckdb.connect()
    return con.sql(
        f"""
        WITH ids AS (
            SELECT range AS n, range * 50 // 46 AS event FROM range({start}, {start + count})
        ),
        latest AS (
            SELECT n, event, (event // 50) * 3 + 2 AS last_auction, event // 50 AS last_person
            FROM ids
        ),
        bids AS (
            SELECT n, event,
                1000 + CASE WHEN hash(n, 1) % 2 = 0 THEN (last_auction // 100) * 100
                    ELSE greatest(0, last_auction - CAST(hash(n, 2) % 100 AS BIGINT)) END
                    AS auction,
                1000 + CASE WHEN hash(n, 3) % 4 <> 0 THEN (last_person // 100) * 100 + 1
                    ELSE greatest(0, last_person - CAST(hash(n, 4) % 1000 AS BIGINT)) END
                    AS bidder,
                CAST(round(pow(10, (hash(n, 5) % 1000000) / 1000000.0 * 6) * 100) AS BIGINT) AS price,
                ['Google', 'Facebook', 'Baidu', 'Apple'][CAST(1 + hash(n, 6) % 4 AS BIGINT)] AS channel,
                'https://www.nexmark.com/item.htm?query=' || (hash(n, 7) % 1000)::VARCHAR AS url,
                {BASE_TIME_MS} + event * 1000 // {EVENTS_PER_SECOND} AS date_time,
                repeat('x', 16) AS extra
            FROM latest
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
