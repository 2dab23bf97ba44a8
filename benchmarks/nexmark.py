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
    for start in range(0, count, chunk):
        append_records(log, topic, bid_table(start, min(chunk, count - start)))


def append_records(log, topic: str, table: pa.Table) -> None:
    """Append generated key/value/timestamp records to partition 0 of `topic`."""
    headers_type = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
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


# --- The rest of the event mix (persons, auctions) and JSON-lines files, for benchmarks/suite.py.


def person_table(events: int) -> pa.Table:
    """The persons among the first `events` events (event id % 50 == 0), as key/value/timestamp.

    Key: the id as JSON; value: a JSON object that also carries the id and `dateTime`, padded
    to about 200 bytes as in Nexmark. Person ids are 1000 + event // 50.
    """
    ts = f"{BASE_TIME_MS} + event * 1000 // {EVENTS_PER_SECOND}"
    return (
        duckdb.connect()
        .sql(
            f"""
        SELECT (1000 + event // 50)::VARCHAR::BLOB AS key,
            to_json(struct_pack(id := 1000 + event // 50,
                name := 'person' || (event // 50)::VARCHAR,
                "emailAddress" := 'p' || (event // 50)::VARCHAR || '@example.com',
                "creditCard" := '1234 5678 9012 ' || lpad((hash(event) % 10000)::VARCHAR, 4, '0'),
                city := ['Phoenix', 'Portland', 'Seattle', 'Boise'][1 + (hash(event, 1) % 4)::INT],
                state := ['AZ', 'OR', 'WA', 'ID'][1 + (hash(event, 2) % 4)::INT],
                "dateTime" := {ts}, extra := repeat('x', 60)))::BLOB AS value,
            {ts} AS timestamp
        FROM (SELECT range * 50 AS event FROM range(0, ({events} + 49) // 50))
        ORDER BY event
        """
        )
        .to_arrow_table()
    )


def auction_table(events: int) -> pa.Table:
    """The auctions among the first `events` events (event id % 50 in 1..3): key/value/timestamp.

    Ids 1000 + (event // 50) * 3 + event % 50 - 1, the ids `bid_table` bids on; the seller is
    one of the 10 newest people, so a person often opens an auction within seconds of joining
    (what Nexmark q8 looks for). Values carry id and `dateTime`, padded to about 300 bytes.
    """
    ts = f"{BASE_TIME_MS} + event * 1000 // {EVENTS_PER_SECOND}"
    return (
        duckdb.connect()
        .sql(
            f"""
        SELECT (1000 + (event // 50) * 3 + event % 50 - 1)::VARCHAR::BLOB AS key,
            to_json(struct_pack(id := 1000 + (event // 50) * 3 + event % 50 - 1,
                "itemName" := 'item' || event::VARCHAR,
                description := 'an item to sell, number ' || event::VARCHAR,
                "initialBid" := (hash(event, 3) % 1000)::BIGINT,
                reserve := (hash(event) % 1000)::BIGINT,
                "dateTime" := {ts}, expires := {ts} + 20000,
                seller := 1000 + greatest(0, event // 50 - CAST(hash(event, 1) % 10 AS BIGINT)),
                category := 10 + (hash(event, 2) % 5)::BIGINT, extra := repeat('x', 60)))::BLOB
                AS value,
            {ts} AS timestamp
        FROM (SELECT range AS event FROM range(0, {events})) WHERE event % 50 BETWEEN 1 AND 3
        ORDER BY event
        """
        )
        .to_arrow_table()
    )


def write_jsonl(out, tables) -> int:
    """Write the `value` column of each table as one JSON object per line to `out` (a path or a
    binary file object); returns the number of lines."""
    if not hasattr(out, "write"):
        with open(out, "wb") as f:
            return write_jsonl(f, tables)
    lines = 0
    for table in tables:
        for chunk in table.column("value").chunks:
            values = chunk.to_pylist()
            out.write(b"\n".join(values))
            out.write(b"\n")
            lines += len(values)
    return lines
