"""ksqlDB's record cache setting: whether a table's updates within a commit are emitted as one."""

from __future__ import annotations

CACHE_PROPERTY = "ksql.streams.cache.max.bytes.buffering"


def record_cache_enabled(properties: dict[str, str]) -> bool:
    """True when ksqlDB's record cache is on (`cache.max.bytes.buffering` > 0): a table's
    updates to one key within a commit (here: a micro-batch) are emitted as one."""
    for key in ("cache.max.bytes.buffering", CACHE_PROPERTY):
        value = properties.get(key)
        if value is not None:
            try:
                return int(value) > 0
            except ValueError:
                return False
    return False
