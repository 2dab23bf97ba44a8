"""PRINT over /query: the topic's records as ksqlDB's TopicStreamWriter formats them (text)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import orjson

from server.pump import QueryFailed, RowPump


def rowtime_text(timestamp_ms: int | None) -> str:
    if timestamp_ms is None:
        return "N/A"
    moment = dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC)
    return moment.strftime("%Y/%m/%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d} Z"


def _format_of(text: str | None) -> str:
    if text is None:
        return "KAFKA_STRING"
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return "KAFKA_STRING"
    return "JSON or KAFKA_STRING"


def record_line(row: list) -> str:
    timestamp, partition, key, value = row
    return (
        f"rowtime: {rowtime_text(timestamp)}, key: {'<null>' if key is None else key}, "
        f"value: {'<null>' if value is None else value}, partition: {partition}"
    )


async def print_stream(pump: RowPump) -> AsyncIterator[bytes]:
    """`Key format:` / `Value format:` from the first record, then one line per record."""
    first = True
    try:
        async for row in pump:
            if first:
                first = False
                yield f"Key format: {_format_of(row[2])}\nValue format: {_format_of(row[3])}\n".encode()
            yield (record_line(row) + "\n").encode()
    except QueryFailed as failure:
        yield (failure.message + "\n").encode()
    finally:
        pump.close()
