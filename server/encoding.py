"""JSON encoding of query rows the way ksqlDB's ApiJsonMapper writes them."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import orjson

_FRAGMENT = getattr(orjson, "Fragment", None)
_EPOCH = dt.datetime(1970, 1, 1)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A plain JSON number, never exponent form, with the decimal's own scale.
        text = format(value, "f")
        return _FRAGMENT(text) if _FRAGMENT is not None else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def timestamp_text(value: dt.datetime) -> str:
    """TIMESTAMP as ksqlDB writes it: ISO, UTC, no zone, milliseconds when non-zero."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    millis = value.microsecond // 1000
    return f"{text}.{millis:03d}" if millis else text


def plain(value: Any) -> Any:
    """Turn Arrow-derived Python values into what ksqlDB puts in JSON rows."""
    if value is None or isinstance(value, bool | int | float | str | Decimal | bytes):
        return value
    if isinstance(value, dt.datetime):
        return timestamp_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        # Arrow maps come back as lists of (key, value) tuples.
        if value and all(isinstance(e, tuple) and len(e) == 2 for e in value):
            return {str(k): plain(v) for k, v in value}
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def row_values(row: list[Any]) -> list[Any]:
    return [plain(v) for v in row]


def dumps(value: Any) -> bytes:
    """orjson with ksqlDB's encodings for decimals and bytes."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)
