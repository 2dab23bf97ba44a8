"""The input side of a join query: read every input, keep them together in event time, merge
them into one order, and run the join steps over each micro-batch.

Its state (operator stores, input positions, the order counter) lives on the DuckDB
connection the query checkpoints with, so one transaction covers everything.

The plan is the analyzer's JoinPlan (analyzer/join_plan.py), read by attribute: its
`inputs` (index, source, alias and columns, each column's source `name` and `joined` name)
and its `steps` (shape and what join_common.JoinStepSpec lists).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import VALUE, Source
from ksql.compiler.columns import DEL, ORD, TS
from ksql.runtime.decode import DELETED, SourceDecoder, decoded_schema
from ksql.runtime.join_common import SUB_BITS, JoinOperator
from ksql.runtime.join_foreign_key import ForeignKeyJoin
from ksql.runtime.join_stream_stream import StreamStreamJoin
from ksql.runtime.join_stream_table import StreamTableJoin
from ksql.runtime.join_table_table import TableTableJoin
from ksql.runtime.operator import StateStoreSpec
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import TopicReader

OPERATORS: dict[str, type[JoinOperator]] = {
    "STREAM_TABLE": StreamTableJoin,
    "TABLE_TABLE": TableTableJoin,
    "STREAM_STREAM": StreamStreamJoin,
    "FOREIGN_KEY": ForeignKeyJoin,
}
OWNER = "JoinPipeline"


class JoinPipeline:
    """Reads the inputs of a join plan and produces joined rows, batch by batch."""

    def __init__(
        self,
        query_id: str,
        plan,
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
        self.decoders = [SourceDecoder(_decoded_source(i), log.schema_registry) for i in self.inputs]
        db.execute(
            "CREATE TABLE IF NOT EXISTS join_positions (input INTEGER, part INTEGER, next BIGINT)"
        )
        db.execute("CREATE TABLE IF NOT EXISTS join_sequence (next BIGINT)")
        for inp, part, nxt in db.execute("SELECT * FROM join_positions").fetchall():
            self.readers[int(inp)].positions[int(part)] = int(nxt)
        self.reload()
        self.operators: list[JoinOperator] = []
        left_cols = _input_names(self.inputs[0])
        for n, step in enumerate(plan.steps):
            right_cols = _input_names(self.inputs[n + 1])
            name = _step_name(n)
            if step.shape == "FOREIGN_KEY":
                first = self.inputs[0]
                keys = [f"{first.alias}_{k.name}" for k in first.source.key_columns]
                op: JoinOperator = ForeignKeyJoin(db, name, step, left_cols, right_cols, keys)
            else:
                op = OPERATORS[step.shape](db, name, step, left_cols, right_cols)
            self.operators.append(op)
            left_cols = left_cols + right_cols
        # An empty batch through the steps creates their stores (their columns are those of
        # the batches), so every declared store exists from the start. It also gives the
        # joined rows' schema.
        self.empty = self._join(self._merge(self._empty_inputs()))

    @classmethod
    def declared_stores(cls, plan) -> tuple[StateStoreSpec, ...]:
        """The stores of a join of `plan`: each step's, then the inputs' positions and the
        order counter (from the plan alone)."""
        stores: list[StateStoreSpec] = []
        for n, step in enumerate(plan.steps):
            stores += OPERATORS[step.shape].declared_stores(_step_name(n), step)
        return (*stores, *POSITION_STORES)

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        stores = [s for op in self.operators for s in op.state_stores()]
        return (*stores, *POSITION_STORES)

    def next_batch(self, max_records: int) -> tuple[pa.Table | None, int]:
        """Joined rows of the next micro-batch (in order) and the input records consumed.

        Call inside the checkpoint transaction; `save_positions` before committing it.
        """
        tables, consumed = self._read(max_records)
        if consumed == 0:
            return None, 0
        return self._join(self._merge(tables)), consumed

    def reload(self) -> None:
        """The order counter as stored (at start, and after a rolled-back batch, whose
        transaction puts the input positions back)."""
        stored = self.db.execute("SELECT max(next) FROM join_sequence").fetchall()[0][0]
        self.next_seq = int(stored or 0)

    def save_positions(self) -> None:
        self.db.execute("DELETE FROM join_positions")
        rows = [(n, p, o) for n, r in enumerate(self.readers) for p, o in r.positions.items()]
        self.db.executemany("INSERT INTO join_positions VALUES (?, ?, ?)", rows)
        self.db.execute("DELETE FROM join_sequence")
        self.db.execute(f"INSERT INTO join_sequence VALUES ({self.next_seq})")

    def _join(self, tables: list[pa.Table]) -> pa.Table:
        joined = tables[0]
        for op, right in zip(self.operators, tables[1:], strict=True):
            joined = op.process(joined, right)
        return joined

    def _empty_inputs(self) -> list[pa.Table]:
        return [_prefixed(i, decoded_schema(i.source).empty_table()) for i in self.inputs]

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


POSITION_STORES = (
    StateStoreSpec(
        "join_positions", OWNER, ("input", "part"),
        (("input", "INTEGER"), ("part", "INTEGER"), ("next", "BIGINT")),
    ),
    StateStoreSpec("join_sequence", OWNER, (), (("next", "BIGINT"),)),
)  # fmt: skip


def _step_name(n: int) -> str:
    """The prefix of the n-th join step's store tables."""
    return f"j{n}"


def _pruned(inp, needed: frozenset[str] | None):  # type: ignore[no-untyped-def]
    """The input with only the needed columns (keys and the timestamp column always stay)."""
    if needed is None:
        return inp
    keep = {c.name for c in inp.source.key_columns} | {inp.source.timestamp_column}
    columns = tuple(c for c in inp.columns if c.joined in needed or c.name in keep)
    return dataclasses.replace(inp, columns=columns)


def _decoded_source(inp) -> Source:  # type: ignore[no-untyped-def]
    """JSON values decode only the fields the join reads; other formats decode everything."""
    source = inp.source
    wanted = {c.name for c in inp.columns}
    values = [c for c in source.value_columns if c.name in wanted]
    if source.value_format.name != "JSON" or len(source.value_columns) < 2 or not values:
        return source
    columns = tuple(c for c in source.columns if c.namespace != VALUE or c.name in wanted)
    return dataclasses.replace(source, columns=columns)


def _input_names(inp) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.joined for c in inp.columns]


def _prefixed(inp, decoded: pa.Table) -> pa.Table:  # type: ignore[no-untyped-def]
    """A decoded batch under the joined names, with its timestamp and deletion flag."""
    arrays = {c.joined: decoded.column(c.name) for c in inp.columns}
    arrays[DEL] = pc.fill_null(decoded.column(DELETED), False)
    arrays[TS] = decoded.column("ROWTIME")
    return pa.table(arrays)
