"""The input side of a join query: read every input, keep them together in event time, merge
them into one order, and run the join steps over each micro-batch.

Its state (operator stores, input positions, the order counter) lives on the DuckDB
connection the query checkpoints with, so one transaction covers everything.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.analyzer.join_plan import DEL, ORD, TS, JoinInput, JoinPlan
from ksql.catalog import VALUE, Source
from ksql.runtime.decode import DELETED, SourceDecoder, decoded_schema
from ksql.runtime.join_ops import (
    SUB_BITS,
    ForeignKeyJoin,
    StreamStreamJoin,
    StreamTableJoin,
    TableTableJoin,
)
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import TopicReader

OPERATORS = {
    "STREAM_TABLE": StreamTableJoin,
    "TABLE_TABLE": TableTableJoin,
    "STREAM_STREAM": StreamStreamJoin,
}


class JoinPipeline:
    """Reads the inputs of a join plan and produces joined rows, batch by batch."""

    def __init__(
        self,
        query_id: str,
        plan: JoinPlan,
        log,
        processing_log: ProcessingLog,
        db,
        positions: list[dict[int, int]] | None,
        needed: frozenset[str] | None = None,
    ) -> None:
        self.query_id = query_id
        # Only the columns the query reads travel through the join (all when `needed` is None).
        self.inputs = [_pruned(i, needed) for i in plan.inputs]
        self.processing_log = processing_log
        self.db = db
        self.readers = [
            TopicReader(log, i.source.topic, dict((positions or [{}] * len(self.inputs))[i.index]))
            for i in self.inputs
        ]
        self.decoders = [SourceDecoder(_decoded_source(i)) for i in self.inputs]
        db.execute(
            "CREATE TABLE IF NOT EXISTS join_positions (input INTEGER, part INTEGER, next BIGINT)"
        )
        db.execute("CREATE TABLE IF NOT EXISTS join_sequence (next BIGINT)")
        for inp, part, nxt in db.execute("SELECT * FROM join_positions").fetchall():
            self.readers[int(inp)].positions[int(part)] = int(nxt)
        stored = db.execute("SELECT max(next) FROM join_sequence").fetchall()[0][0]
        self.next_seq = int(stored or 0)
        self.operators = []
        left_cols = _input_names(self.inputs[0])
        for n, step in enumerate(plan.steps):
            right_cols = _input_names(self.inputs[n + 1])
            name = f"j{n}"
            if step.shape == "FOREIGN_KEY":
                first = self.inputs[0]
                keys = [f"{first.alias}_{k.name}" for k in first.source.key_columns]
                op = ForeignKeyJoin(db, name, step, left_cols, right_cols, keys)
            else:
                op = OPERATORS[step.shape](db, name, step, left_cols, right_cols)
            self.operators.append(op)
            left_cols = left_cols + right_cols

    def next_batch(self, max_records: int) -> tuple[pa.Table | None, int]:
        """Joined rows of the next micro-batch (in order) and the input records consumed.

        Call inside the checkpoint transaction; `save_positions` before committing it.
        """
        tables, consumed = self._read(max_records)
        if consumed == 0:
            return None, 0
        tables = self._merge(tables)
        joined = tables[0]
        for op, right in zip(self.operators, tables[1:], strict=True):
            joined = op.process(joined, right)
        return joined, consumed

    def save_positions(self) -> None:
        self.db.execute("DELETE FROM join_positions")
        rows = [(n, p, o) for n, r in enumerate(self.readers) for p, o in r.positions.items()]
        self.db.executemany("INSERT INTO join_positions VALUES (?, ?, ?)", rows)
        self.db.execute("DELETE FROM join_sequence")
        self.db.execute(f"INSERT INTO join_sequence VALUES ({self.next_seq})")

    # ------------------------------------------------------------------ reading
    def _read(self, max_records: int) -> tuple[list[pa.Table], int]:
        per_input = max(1, max_records // len(self.inputs))
        polled = []
        for reader in self.readers:
            polled.append(reader.poll(per_input))
        # An input with more records waiting bounds how far in event time this batch goes,
        # so no input runs ahead of the others (a table must not see its future).
        frontier = min(
            (
                int(pc.max(r.column("timestamp")).as_py())
                for r in polled
                if r is not None and r.num_rows >= per_input
            ),
            default=None,
        )
        tables, consumed = [], 0
        for inp, reader, decoder, records in zip(
            self.inputs, self.readers, self.decoders, polled, strict=True
        ):
            if records is not None and frontier is not None:
                records = _up_to(records, frontier, reader)
            if records is None or records.num_rows == 0:
                tables.append(_prefixed(inp, decoded_schema(inp.source).empty_table()))
                continue
            consumed += records.num_rows
            decoded = decoder.decode(records)
            self.processing_log.report(self.query_id, inp.source.topic, decoded.errors)
            tables.append(_prefixed(inp, decoded.table))
        return tables, consumed

    def _merge(self, tables: list[pa.Table]) -> list[pa.Table]:
        """Give every row its place in one order over all inputs, as Kafka Streams picks the
        input whose next record has the lowest timestamp."""
        keys, owners = [], []
        for n, t in enumerate(tables):
            ts = t.column(TS).to_numpy() if t.num_rows else np.zeros(0, np.int64)
            keys.append(np.maximum.accumulate(ts) if len(ts) else ts)
            owners.append(np.full(len(ts), n))
        all_keys = np.concatenate(keys)
        all_owners = np.concatenate(owners)
        positions = np.concatenate([np.arange(len(k)) for k in keys])
        order = np.lexsort((positions, all_owners, all_keys))
        seq = np.empty(len(order), np.int64)
        seq[order] = np.arange(len(order), dtype=np.int64) + self.next_seq
        self.next_seq += len(order)
        out, start = [], 0
        for t in tables:
            ords = (seq[start : start + t.num_rows] << SUB_BITS).astype(np.int64)
            start += t.num_rows
            out.append(t.append_column(ORD, pa.array(ords, pa.int64())))
        return out


def _up_to(records: pa.Table, frontier: int, reader: TopicReader) -> pa.Table:
    """The records before the event-time frontier; the reader rewinds to the first one left."""
    ts = records.column("timestamp").to_numpy()
    keep = int(np.searchsorted(np.maximum.accumulate(ts), frontier, side="right"))
    if keep == records.num_rows:
        return records
    kept, rest = records.slice(0, keep), records.slice(keep)
    parts = rest.column("partition").to_numpy()
    offsets = rest.column("offset").to_numpy()
    for p in np.unique(parts):
        reader.positions[int(p)] = int(offsets[parts == p].min())
    return kept


def _pruned(inp: JoinInput, needed: frozenset[str] | None) -> JoinInput:
    """The input with only the needed columns (keys and the timestamp column always stay)."""
    if needed is None:
        return inp
    keep = {c.name for c in inp.source.key_columns} | {inp.source.timestamp_column}
    columns = tuple(c for c in inp.columns if c.joined in needed or c.name in keep)
    return dataclasses.replace(inp, columns=columns)


def _decoded_source(inp: JoinInput) -> Source:
    """JSON values decode only the fields the join reads; other formats decode everything."""
    source = inp.source
    wanted = {c.name for c in inp.columns}
    values = [c for c in source.value_columns if c.name in wanted]
    if source.value_format.name != "JSON" or len(source.value_columns) < 2 or not values:
        return source
    columns = tuple(c for c in source.columns if c.namespace != VALUE or c.name in wanted)
    return dataclasses.replace(source, columns=columns)


def _input_names(inp: JoinInput) -> list[str]:
    return [c.joined for c in inp.columns]


def _prefixed(inp: JoinInput, decoded: pa.Table) -> pa.Table:
    """A decoded batch under the joined names, with its timestamp and deletion flag."""
    arrays = {c.joined: decoded.column(c.name) for c in inp.columns}
    arrays[DEL] = pc.fill_null(decoded.column(DELETED), False)
    arrays[TS] = decoded.column("ROWTIME")
    return pa.table(arrays)
