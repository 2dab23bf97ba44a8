"""Cluster mode: which server owns one key of a table that a persistent query maintains.

Step 1: the key's partition of the topic the query's partitions are leased by (its source
topic, or its repartition topic when it groups by something else), placed as Kafka's producer
places it: the key serialized by that topic's key format, murmur2 over the partition count.
Step 2: the owner of that partition for that query: the live member whose latest heartbeat
lists it. The server uses this to forward a pull query for one key (server/pull_forward.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ksql.catalog import Source
from ksql.cluster.repartition import repartition_topic
from ksql.errors import KsqlError
from ksql.runtime.encode import SinkEncoder
from ksql.storage.partitioner import partition_for_keys


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Where a key lives: the query and input partition, and the member that owns it."""

    query_id: str
    topic: str
    partition: int
    url: str | None  # the owner's advertised URL; None while nobody owns it (a handover)
    is_self: bool  # this server owns it


def locate_key(node, engine, table: Source, values: dict[str, Any]) -> KeyOwner | None:
    """The owner of the key `values` (key column -> value) of `table`, or None when the key
    cannot be placed: no single running query writes the table, it is not running here, or its
    key cannot be mapped onto the leased topic's key."""
    writers = [q for q in engine.queries(writing=table.name) if q.state == "RUNNING"]
    if len(writers) != 1:
        return None
    query_id = writers[0].query_id
    leased = node.lease_input(query_id)
    if leased is None:
        return None
    topic, source = leased
    if topic == repartition_topic(node.service_id, query_id):
        # Its key columns have internal names, in the order of the GROUP BY, as the table's.
        if len(source.key_columns) != len(table.key_columns):
            return None
        ordered = [values[c.name] for c in table.key_columns]
        values = {c.name: v for c, v in zip(source.key_columns, ordered, strict=True)}
        table = source
    info = engine.topic_info(topic)
    partition = None if info is None else key_partition(
        info.partitions, source, table, values, engine.schema_registry()
    )
    if partition is None:
        return None
    owner = node.partition_owner(query_id, partition)
    if owner is None:
        return KeyOwner(query_id, topic, partition, None, False)
    url = str(owner.get("url") or "")
    is_self = owner["instance"] == node.instance_id or url == node.url
    return KeyOwner(query_id, topic, partition, url, is_self)


def key_partition(
    partitions: int, source: Source, table: Source, values: dict[str, Any], registry=None
):
    """The partition (of `partitions`) that Kafka's partitioner gives the key, serialized in
    the key format of `source` (the topic's records); None when the key cannot be placed."""
    if {c.name for c in source.key_columns} != {c.name for c in table.key_columns}:
        return None  # the query renames or re-keys: no safe mapping from the table's key
    encoder = SinkEncoder(source, registry=registry)
    try:
        columns = {
            c.name: pa.array([values[c.name]]).cast(c.type.arrow()) for c in source.key_columns
        }
        keys = encoder.key_format.encode(pa.table(columns), encoder.key_columns, wrap_single=False)
    except (KsqlError, pa.ArrowException, ValueError, TypeError, OverflowError):
        return None
    if partitions <= 1:
        return 0
    placed = partition_for_keys(keys, partitions)[0].as_py()
    return None if placed is None or placed < 0 else int(placed)
