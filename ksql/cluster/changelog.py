"""Changelog topics of an aggregation's state: written per micro-batch, read back on restore.

One compacted topic per query, `_confluent-ksql-<service id>query_<ID>-Aggregate-Aggregate-
Materialize-changelog`, with the source's partition count. The stores are those the query's
runner declares with `changelog=True` (see runtime/operator.py), all keyed by the group key
first. After a micro-batch, every group key the batch touched gets one record per such store:
key `[store table, key values...]` (JSON), value the key's current rows in that store (all its
windows) as an Arrow IPC stream, or a tombstone when it has none left. The record goes to
the partition of the input records of that key, so a server that is assigned source
partition p restores exactly the keys of p from changelog p.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import duckdb
import numpy as np
import orjson
import pyarrow as pa

from ksql.errors import TopicError
from ksql.runtime.operator import StateStoreSpec
from ksql.storage.records import make_records
from ksql.types import quote_identifier as q

PARTITION = "__CHANGELOG_PARTITION"
CHANGELOG_CONFIG = {"cleanup.policy": "compact", "retention.ms": "-1"}


def changelog_topic(service_id: str, query_id: str) -> str:
    return f"_confluent-ksql-{service_id}query_{query_id}-Aggregate-Aggregate-Materialize-changelog"


def ensure_changelog(log, topic: str, partitions: int, config: dict | None = None) -> None:
    """Create an internal topic (by default a compacted changelog) unless it exists."""
    if log.topic_exists(topic):
        return
    try:
        log.create_topic(topic, partitions, 1, CHANGELOG_CONFIG if config is None else config)
    except TopicError:  # another server created it first
        if not log.topic_exists(topic):
            raise


class Changelog:
    """Writes and restores the rows of some state stores, all keyed by the group key."""

    def __init__(
        self,
        log,
        topic: str,
        db: duckdb.DuckDBPyConnection,
        stores: Sequence[StateStoreSpec],
        key_names: list[str],
    ) -> None:
        """`db` is the query's state connection (inside the runner's transaction)."""
        self.log = log
        self.topic = topic
        self.db = db
        self.stores = [s for s in stores if s.changelog]
        self.key_names = key_names

    # Step 1 (each micro-batch, inside the state transaction): the records to write --------

    def write(self, touched: pa.Table) -> int:
        """Produce the current rows of each touched key (key columns + PARTITION)."""
        if touched.num_rows == 0:
            return 0
        keys: list[bytes] = []
        values: list[bytes | None] = []
        parts: list[int] = []
        for store in self.stores:
            self._records(store, touched, keys, values, parts)
        if not keys:
            return 0
        now = int(time.time() * 1000)
        records = make_records(keys, values, [now] * len(keys), [[]] * len(keys))
        records = records.append_column("partition", pa.array(parts, pa.int32()))
        self.log.produce(self.topic, records)
        return len(keys)

    def _records(self, store: StateStoreSpec, touched: pa.Table, keys, values, parts) -> None:
        con = self.db
        match = " AND ".join(f"s.{q(k)} IS NOT DISTINCT FROM t.{q(k)}" for k in self.key_names)
        order = ", ".join(f"s.{q(k)}" for k in self.key_names)
        table = q(store.name)
        con.register("__touched", touched)
        try:
            rows = con.sql(
                f"SELECT s.*, t.{q(PARTITION)}, dense_rank() OVER (ORDER BY {order}) AS __G "
                f"FROM {table} s JOIN __touched t ON {match} ORDER BY __G"
            ).to_arrow_table()
            gone = con.sql(
                f"SELECT t.* FROM __touched t ANTI JOIN {table} s ON {match}"
            ).to_arrow_table()
        finally:
            con.unregister("__touched")
        state = rows.drop_columns([PARTITION, "__G"])
        if rows.num_rows:
            group = rows.column("__G").to_numpy()
            starts = np.concatenate([[0], np.flatnonzero(np.diff(group)) + 1])
            stops = np.concatenate([starts[1:], [rows.num_rows]])
            heads = rows.take(pa.array(starts))
            key_rows = heads.select(self.key_names).to_pylist()
            part_rows = heads.column(PARTITION).to_pylist()
            for start, stop, key, part in zip(starts, stops, key_rows, part_rows, strict=True):
                keys.append(_key(store.name, key, self.key_names))
                values.append(_ipc(state.slice(int(start), int(stop - start))))
                parts.append(int(part))
        for key, part in zip(
            gone.select(self.key_names).to_pylist(), gone.column(PARTITION).to_pylist(), strict=True
        ):
            keys.append(_key(store.name, key, self.key_names))
            values.append(None)
            parts.append(int(part))

    # Step 2 (on assignment, inside a state transaction): wipe, then load owned partitions --

    def restore(self, partitions: set[int]) -> int:
        """Replace every store's rows by the changelog's latest rows of `partitions`."""
        latest: dict[bytes, bytes | None] = {}
        for p in sorted(partitions):
            offset = self.log.start_offset(self.topic, p)
            end = self.log.end_offset(self.topic, p)
            while offset < end:
                batch = self.log.read(self.topic, p, offset)
                if batch.num_rows == 0:
                    break  # only an open transaction of a dead member is left
                for k, v in zip(batch.column("key").to_pylist(), batch.column("value").to_pylist(),
                                strict=True):  # fmt: skip
                    latest[k] = v
                offset = int(batch.column("offset")[-1].as_py()) + 1
        by_store: dict[str, list[pa.Table]] = {s.name: [] for s in self.stores}
        for key, value in latest.items():
            if value is None:
                continue
            name = orjson.loads(key)[0]
            if name in by_store:
                by_store[name].append(pa.ipc.open_stream(value).read_all())
        restored = 0
        for store in self.stores:
            table = q(store.name)
            self.db.execute(f"DELETE FROM {table}")
            tables = by_store[store.name]
            if tables:
                rows = pa.concat_tables(tables)
                self.db.register("__restored", rows)
                try:
                    self.db.execute(f"INSERT INTO {table} SELECT * FROM __restored")
                finally:
                    self.db.unregister("__restored")
                restored += rows.num_rows
        return restored


def _key(store: str, key: dict, names: list[str]) -> bytes:
    return orjson.dumps([store, *(key[n] for n in names)], default=str)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
