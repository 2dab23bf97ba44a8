"""Which partition each produced record goes to, as Kafka's producer decides: an explicit
partition wins, keyed records follow murmur2 of the key, null keys stick to one partition
per call. Shared by the embedded log and the Kafka backend."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from ksql.errors import TopicError
from ksql.storage.partitioner import partition_for_keys
from ksql.storage.records import normalize


def place_records(
    batch: pa.RecordBatch | pa.Table, topic: str, partitions: int, next_sticky: Callable[[], int]
) -> tuple[pa.RecordBatch, np.ndarray]:
    """The records in the log's shape and each one's partition (an empty batch places none)."""
    n = partitions
    if isinstance(batch, pa.Table):
        batch = batch.combine_chunks()
    explicit = batch.column("partition") if "partition" in batch.schema.names else None
    records = normalize(batch)
    rows = records.num_rows
    if rows == 0:
        return records, np.zeros(0, dtype=np.int32)
    # Step 1: explicit partitions win; -1 marks rows still to place.
    if explicit is not None:
        parts = explicit.cast(pa.int32()).fill_null(-1).to_numpy().astype(np.int32)
    else:
        parts = np.full(rows, -1, dtype=np.int32)
    unplaced = parts < 0
    if unplaced.any():
        if n == 1:
            parts[unplaced] = 0
        else:
            # Step 2: keyed rows go where murmur2 of the key says (the Java client's choice).
            hashed = partition_for_keys(records.column("key"), n).fill_null(-1).to_numpy()
            parts = np.where(unplaced, hashed, parts).astype(np.int32)
            # Step 3: null keys stick to one partition for the whole call.
            nulls = parts < 0
            if nulls.any():
                parts[nulls] = next_sticky()
    bad = (parts < 0) | (parts >= n)
    if bad.any():
        raise TopicError(
            f"Invalid partition {int(parts[bad][0])} for topic '{topic}' with {n} partitions"
        )
    return records, parts
