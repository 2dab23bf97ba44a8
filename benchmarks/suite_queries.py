"""The benchmark suite's queries, each in three dialects: ksqlDB, Flink SQL and DuckDB.

Inputs are JSON-lines files of Nexmark events (see `suite_data.py`): `bids`, `auctions`,
`persons`. ksql reads the same bytes as records of the embedded log (timestamp = `dateTime`);
Flink reads the files with its filesystem source and a watermark on `dateTime`; DuckDB reads
them with `read_json` and runs one batch query (the ceiling: no incremental state, no
changelog). Window and join semantics differ where streaming differs from batch (ksql emits a
changelog update per input batch, Flink emits a window when it closes, DuckDB once); the
work each engine does on the input is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Source schemas ----------------------------------------------------------------------

COLUMNS = {
    "bids": [
        ("auction", "BIGINT"),
        ("bidder", "BIGINT"),
        ("price", "BIGINT"),
        ("channel", "STRING"),
        ("url", "STRING"),
        ("dateTime", "BIGINT"),
        ("extra", "STRING"),
    ],
    "auctions": [
        ("id", "BIGINT"),
        ("itemName", "STRING"),
        ("description", "STRING"),
        ("initialBid", "BIGINT"),
        ("reserve", "BIGINT"),
        ("dateTime", "BIGINT"),
        ("expires", "BIGINT"),
        ("seller", "BIGINT"),
        ("category", "BIGINT"),
        ("extra", "STRING"),
    ],
    "persons": [
        ("id", "BIGINT"),
        ("name", "STRING"),
        ("emailAddress", "STRING"),
        ("creditCard", "STRING"),
        ("city", "STRING"),
        ("state", "STRING"),
        ("dateTime", "BIGINT"),
        ("extra", "STRING"),
    ],
}


def _ksql_columns(topic: str, key: str | None = None) -> str:
    cols = []
    for name, typ in COLUMNS[topic]:
        quoted = f"`{name}`" if name != name.lower() else name  # camelCase stays case-sensitive
        cols.append(f"{quoted} {typ} {key}" if name == "id" and key else f"{quoted} {typ}")
    return ", ".join(cols)


# ksql sources by name (a query's `ksql_sources`): auctions are read as a table (q20) or as a
# stream (q8), both over the `auctions` topic.
KSQL_DDL = {
    "bids": f"CREATE STREAM bids ({_ksql_columns('bids')}) "
    "WITH (kafka_topic='bids', value_format='JSON');",
    "auctions": f"CREATE TABLE auctions ({_ksql_columns('auctions', 'PRIMARY KEY')}) "
    "WITH (kafka_topic='auctions', key_format='JSON', value_format='JSON');",
    "auction_stream": f"CREATE STREAM auction_stream ({_ksql_columns('auctions', 'KEY')}) "
    "WITH (kafka_topic='auctions', key_format='JSON', value_format='JSON');",
    "persons": f"CREATE STREAM persons ({_ksql_columns('persons', 'KEY')}) "
    "WITH (kafka_topic='persons', key_format='JSON', value_format='JSON');",
}


def flink_ddl(topic: str, path: str) -> str:
    cols = ", ".join(f"`{name}` {typ}" for name, typ in COLUMNS[topic])
    return (
        f"CREATE TABLE {topic} ({cols}, ts AS TO_TIMESTAMP_LTZ(`dateTime`, 3), "
        "WATERMARK FOR ts AS ts) "
        f"WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'json')"
    )


def duckdb_ddl(topic: str, path: str) -> str:
    duck_types = {"BIGINT": "BIGINT", "STRING": "VARCHAR"}
    cols = ", ".join(f"'{name}': '{duck_types[typ]}'" for name, typ in COLUMNS[topic])
    return (
        f"CREATE VIEW {topic} AS SELECT * FROM read_json('{path}', "
        f"format = 'newline_delimited', columns = {{{cols}}})"
    )


# --- Queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    label: str
    inputs: tuple[str, ...]
    ksql: str  # CREATE STREAM|TABLE <sink> AS SELECT ...; the sink is named after the query
    flink: str  # a SELECT, written into a blackhole sink
    duckdb: str  # a SELECT, materialized into a temporary table
    ksql_sources: tuple[str, ...] = ()  # KSQL_DDL entries to create; default: `inputs`

    @property
    def sink(self) -> str:
        return self.name.upper()


_HOUR = "((`dateTime` / 3600000) % 24)"
_DUCK_HOUR = '(("dateTime" // 3600000) % 24)'
_CHANNEL_RE = "'(&|^)channel_id=([^&]*)'"


def _q14(hour: str, count_c: str, time_col: str, price: str) -> str:
    return (
        f"auction, bidder, {price} AS price, "
        f"CASE WHEN {hour} >= 8 AND {hour} <= 18 THEN 'dayTime' "
        f"WHEN {hour} <= 6 OR {hour} >= 20 THEN 'nightTime' ELSE 'otherTime' END AS bid_time_type, "
        f"{time_col}, extra, {count_c} AS c_counts FROM bids "
        f"WHERE {price} > 1000000 AND {price} < 50000000"
    )


def _q21(lower: str, extract: str) -> str:
    return (
        "auction, bidder, price, channel, "
        f"CASE WHEN {lower}(channel) = 'apple' THEN '0' WHEN {lower}(channel) = 'google' THEN '1' "
        f"WHEN {lower}(channel) = 'facebook' THEN '2' WHEN {lower}(channel) = 'baidu' THEN '3' "
        f"ELSE {extract} END AS channel_id FROM bids "
        f"WHERE {extract} IS NOT NULL "
        f"OR {lower}(channel) IN ('apple', 'google', 'facebook', 'baidu')"
    )


QUERIES: list[Query] = [
    Query(
        "q0",
        "pass-through",
        ("bids",),
        "CREATE STREAM q0 AS SELECT * FROM bids;",
        "SELECT auction, bidder, price, channel, url, `dateTime`, extra FROM bids",
        "SELECT * FROM bids",
    ),
    Query(
        "q1",
        "projection 0.908 * price",
        ("bids",),
        "CREATE STREAM q1 AS SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra "
        "FROM bids;",
        "SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bids",
        'SELECT auction, bidder, 0.908 * price AS price, "dateTime", extra FROM bids',
    ),
    Query(
        "q2",
        "filter auction % 123 = 0",
        ("bids",),
        "CREATE STREAM q2 AS SELECT auction, price FROM bids WHERE auction % 123 = 0;",
        "SELECT auction, price FROM bids WHERE MOD(auction, 123) = 0",
        "SELECT auction, price FROM bids WHERE auction % 123 = 0",
    ),
    Query(
        "q14",
        "CASE, price band, char count",
        ("bids",),
        "CREATE STREAM q14 AS SELECT "
        + _q14(_HOUR, "LEN(extra) - LEN(REPLACE(extra, 'c', ''))", "`dateTime`", "0.908 * price")
        + ";",
        "SELECT "
        + _q14(
            "MOD(`dateTime` / 3600000, 24)",
            "CHAR_LENGTH(extra) - CHAR_LENGTH(REPLACE(extra, 'c', ''))",
            "`dateTime`",
            "0.908 * price",
        ),
        "SELECT "
        + _q14(
            _DUCK_HOUR,
            "length(extra) - length(replace(extra, 'c', ''))",
            '"dateTime"',
            "0.908 * price",
        ),
    ),
    Query(
        "q21",
        "CASE + REGEXP_EXTRACT",
        ("bids",),
        "CREATE STREAM q21 AS SELECT "
        + _q21("LCASE", f"REGEXP_EXTRACT({_CHANNEL_RE}, url, 2)")
        + ";",
        "SELECT " + _q21("LOWER", f"REGEXP_EXTRACT(url, {_CHANNEL_RE}, 2)"),
        "SELECT " + _q21("lower", f"nullif(regexp_extract(url, {_CHANNEL_RE}, 2), '')"),
    ),
    Query(
        "q22",
        "SPLIT url into directories",
        ("bids",),
        "CREATE STREAM q22 AS SELECT auction, bidder, price, channel, "
        "SPLIT(url, '/')[4] AS dir1, SPLIT(url, '/')[5] AS dir2, SPLIT(url, '/')[6] AS dir3 "
        "FROM bids;",
        "SELECT auction, bidder, price, channel, SPLIT_INDEX(url, '/', 3) AS dir1, "
        "SPLIT_INDEX(url, '/', 4) AS dir2, SPLIT_INDEX(url, '/', 5) AS dir3 FROM bids",
        "SELECT auction, bidder, price, channel, split_part(url, '/', 4) AS dir1, "
        "split_part(url, '/', 5) AS dir2, split_part(url, '/', 6) AS dir3 FROM bids",
    ),
    Query(
        "tumble",
        "tumbling 10 s COUNT+SUM per auction",
        ("bids",),
        "CREATE TABLE tumble AS SELECT auction, COUNT(*) AS bids, SUM(price) AS volume "
        "FROM bids WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY auction;",
        "SELECT auction, window_start, window_end, COUNT(*) AS bids, SUM(price) AS volume "
        "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
        "GROUP BY auction, window_start, window_end",
        'SELECT auction, "dateTime" // 10000 AS w, count(*) AS bids, sum(price) AS volume '
        "FROM bids GROUP BY ALL",
    ),
    Query(
        "q5",
        "hopping 10 s / 2 s COUNT per auction",
        ("bids",),
        "CREATE TABLE q5 AS SELECT auction, COUNT(*) AS num FROM bids "
        "WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS) GROUP BY auction;",
        "SELECT auction, window_start, window_end, COUNT(*) AS num "
        "FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) "
        "GROUP BY auction, window_start, window_end",
        'SELECT auction, ("dateTime" // 2000 - k) * 2000 AS ws, count(*) AS num '
        "FROM bids, range(5) AS r(k) GROUP BY ALL",
    ),
    Query(
        "q11",
        "session 10 s COUNT per bidder",
        ("bids",),
        "CREATE TABLE q11 AS SELECT bidder, COUNT(*) AS bid_count FROM bids "
        "WINDOW SESSION (10 SECONDS) GROUP BY bidder;",
        "SELECT bidder, window_start, window_end, COUNT(*) AS bid_count FROM TABLE(SESSION("
        "TABLE bids PARTITION BY bidder, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
        "GROUP BY bidder, window_start, window_end",
        'WITH s AS (SELECT bidder, "dateTime", CASE WHEN "dateTime" - lag("dateTime") OVER '
        '(PARTITION BY bidder ORDER BY "dateTime") <= 10000 THEN 0 ELSE 1 END AS starts '
        "FROM bids), g AS (SELECT bidder, sum(starts) OVER (PARTITION BY bidder "
        'ORDER BY "dateTime", starts DESC ROWS UNBOUNDED PRECEDING) AS session FROM s) '
        "SELECT bidder, session, count(*) AS bid_count FROM g GROUP BY ALL",
    ),
    Query(
        "q12",
        "tumbling 10 s COUNT per bidder",
        ("bids",),
        "CREATE TABLE q12 AS SELECT bidder, COUNT(*) AS bid_count FROM bids "
        "WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY bidder;",
        "SELECT bidder, window_start, window_end, COUNT(*) AS bid_count "
        "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
        "GROUP BY bidder, window_start, window_end",
        'SELECT bidder, "dateTime" // 10000 AS w, count(*) AS bid_count FROM bids GROUP BY ALL',
    ),
    Query(
        "q17",
        "unwindowed COUNT/MIN/MAX/AVG/SUM per auction",
        ("bids",),
        "CREATE TABLE q17 AS SELECT auction, COUNT(*) AS total_bids, MIN(price) AS min_price, "
        "MAX(price) AS max_price, AVG(price) AS avg_price, SUM(price) AS sum_price "
        "FROM bids GROUP BY auction;",
        "SELECT auction, COUNT(*) AS total_bids, MIN(price) AS min_price, "
        "MAX(price) AS max_price, AVG(price) AS avg_price, SUM(price) AS sum_price "
        "FROM bids GROUP BY auction",
        "SELECT auction, count(*) AS total_bids, min(price) AS min_price, "
        "max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price "
        "FROM bids GROUP BY auction",
    ),
    Query(
        "q20",
        "stream-table: bids JOIN auctions",
        ("bids", "auctions"),
        "CREATE STREAM q20 AS SELECT b.auction, b.bidder, b.price, a.`itemName`, a.seller, "
        "a.category FROM bids b JOIN auctions a ON b.auction = a.id;",
        "SELECT b.auction, b.bidder, b.price, a.itemName, a.seller, a.category "
        "FROM bids b JOIN auctions a ON b.auction = a.id",
        'SELECT b.auction, b.bidder, b.price, a."itemName", a.seller, a.category '
        "FROM bids b JOIN auctions a ON b.auction = a.id",
    ),
    Query(
        "q8",
        "stream-stream: persons JOIN auctions WITHIN 10 s",
        ("persons", "auctions"),
        "CREATE STREAM q8 AS SELECT p.id, p.name, a.reserve FROM persons p "
        "JOIN auction_stream a WITHIN 10 SECONDS ON p.id = a.seller;",
        "SELECT p.id, p.name, a.reserve FROM persons p JOIN auctions a ON p.id = a.seller "
        "AND a.ts BETWEEN p.ts - INTERVAL '10' SECOND AND p.ts + INTERVAL '10' SECOND",
        "SELECT p.id, p.name, a.reserve FROM persons p JOIN auctions a ON p.id = a.seller "
        'AND a."dateTime" BETWEEN p."dateTime" - 10000 AND p."dateTime" + 10000',
        ("persons", "auction_stream"),
    ),
]

BY_NAME = {q.name: q for q in QUERIES}
