"""Typed Arrow rows -> raw topic records (key bytes, value bytes, timestamp) for a sink."""

from __future__ import annotations

import pyarrow as pa

from ksql.catalog import Source
from ksql.formats.base import get_format


class SinkEncoder:
    """Encodes query output rows in the sink's key and value formats."""

    def __init__(self, sink: Source) -> None:
        self.sink = sink
        self.key_columns = [(c.name, c.type) for c in sink.key_columns]
        self.value_columns = [(c.name, c.type) for c in sink.value_columns]
        self.key_format = get_format(sink.key_format.name, sink.key_format.properties)
        self.value_format = get_format(sink.value_format.name, sink.value_format.properties)

    def encode(self, rows: pa.Table, timestamps: pa.Array, tombstones: pa.Array | None = None) -> pa.Table:
        """Records ready for TopicLog.produce; tombstones (bool mask) get null values."""
        n = rows.num_rows
        if self.key_columns:
            keys = self.key_format.encode(
                rows.select([name for name, _ in self.key_columns]), self.key_columns, wrap_single=False
            )
        else:
            keys = pa.nulls(n, pa.binary())
        values = self.value_format.encode(
            rows.select([name for name, _ in self.value_columns]),
            self.value_columns,
            wrap_single=self.sink.wrap_single_value,
        )
        if tombstones is not None:
            import pyarrow.compute as pc

            values = pc.if_else(tombstones, pa.scalar(None, pa.binary()), values)
        headers = pa.nulls(n, pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())])))
        return pa.table(
            {"key": keys, "value": values, "timestamp": timestamps.cast(pa.int64()), "headers": headers}
        )
