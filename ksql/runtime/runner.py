"""Drives one query: read a micro-batch from its source topic, run the operators, write, commit.

A runner reads its configuration from the analyzer's result (`analysis`) by attribute: the
source, the output `columns` (each a name and its SQL), `where_sql`, `limit` and, per kind of
query, what aggregation_query.py and join_query.py list. The runtime never imports the
analyzer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import Source
from ksql.compiler.columns import select_list_sql
from ksql.formats.duck import chunked
from ksql.functions.python_udf import attach as attach_udfs
from ksql.runtime.decode import DELETED, SourceDecoder
from ksql.runtime.encode import SinkEncoder
from ksql.runtime.fused import FusedJsonStateless
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.timestamps import sink_timestamps

ROWTIME_OUT = "__KSQL_ROWTIME"
TOMBSTONE_OUT = "__KSQL_TOMBSTONE"
VALUE_OUT = "__KSQL_VALUE"  # value texts a query encoded itself (fused.py)
WINDOW_OUT = ("__KSQL_WINDOWSTART", "__KSQL_WINDOWEND")

_log = logging.getLogger(__name__)


class TopicReader:
    """Reads records of all partitions of a topic (or of the `assigned` ones) from tracked
    positions."""

    def __init__(self, log, topic: str, positions: dict[int, int]) -> None:
        self.log = log
        self.topic = topic
        self.positions = positions
        # Cluster mode (ksql/cluster/): only the partitions the query's consumer group gave
        # this server; None reads every partition.
        self.assigned: set[int] | None = None
        # While a query rebuilds its state (rebuild.py): the offset to stop before, per partition.
        self.stops: dict[int, int] = {}

    def poll(self, max_records: int) -> pa.Table | None:
        batches = []
        partitions = self.log.describe_topic(self.topic).partitions
        owned = range(partitions) if self.assigned is None else sorted(self.assigned)
        per_partition = max(1, max_records // max(1, len(owned)))
        for p in owned:
            start = self.positions.get(p, 0)
            stop = self.stops.get(p)
            limit = per_partition if stop is None else min(per_partition, stop - start)
            if limit <= 0:
                continue
            batch = self.log.read(self.topic, p, start, limit)
            if not batch.num_rows:
                continue
            self.positions[p] = int(batch.column("offset")[-1].as_py()) + 1
            if stop is not None and self.positions[p] > stop:  # offsets with gaps (compaction)
                batch = batch.filter(pc.less(batch.column("offset"), stop))
                self.positions[p] = stop
            if batch.num_rows:
                batches.append(batch)
        if not batches:
            return None
        table = pa.Table.from_batches(batches)
        if len(batches) > 1:
            # Across partitions, process in event-time order as Kafka Streams picks the
            # partition head with the lowest timestamp.
            table = table.sort_by([("timestamp", "ascending"), ("partition", "ascending"),
                                   ("offset", "ascending")])
        return table


class QueryRunner:
    """What every query runner shares: reading and decoding its source, LIMIT, writing to the
    sink (or handing rows to a transient consumer) and committing source positions.

    Subclasses produce output tables with the query's columns plus ROWTIME_OUT,
    TOMBSTONE_OUT and, for windowed sinks, WINDOW_OUT.
    """

    def __init__(
        self,
        query_id: str,
        analysis,
        log,
        processing_log: ProcessingLog,
        *,
        sink: Source | None,
        emit: Callable[[pa.Table], None] | None,
        positions: dict[int, int] | None,
        commit: Callable[[dict[int, int]], None] | None,
        null_keys: bool = True,
    ) -> None:
        self.query_id = query_id
        self.analysis = analysis
        self.log = log
        self.processing_log = processing_log
        self.sink = sink
        self.emit = emit
        self.commit_offsets = commit
        self.decoder = SourceDecoder(analysis.source, log.schema_registry)
        self.encoder = (
            SinkEncoder(sink, null_keys=null_keys, registry=log.schema_registry)
            if sink is not None
            else None
        )
        self.reader = TopicReader(log, analysis.source.topic, positions or {})
        self.con = duckdb.connect()
        attach_udfs(self.con)  # user functions the query's expressions call
        # A windowed sink keeps each row's window in its key.
        self.windowed = sink is not None and sink.window is not None
        self.emitted = 0

    @classmethod
    def declared_stores(cls, analysis, properties: dict[str, str]) -> tuple[StateStoreSpec, ...]:
        """The stores a runner of `analysis` keeps in its state file, from the configuration
        alone (nothing is opened): what `state_stores` of a running one returns."""
        return ()

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        """Every store of this runner's state file: its operators' and its own bookkeeping."""
        return ()

    def operators(self) -> list[Operator]:
        """The operators whose lifecycle hooks this runner calls (the stateful ones)."""
        return []

    @property
    def finished(self) -> bool:
        return self.analysis.limit is not None and self.emitted >= self.analysis.limit

    def _decode(self, records: pa.Table) -> pa.Table:
        """Decoded rows; records that do not decode go to the processing log."""
        decoded = self.decoder.decode(records)
        self.processing_log.report(self.query_id, self.analysis.source.topic, decoded.errors)
        return decoded.table

    def _query(self, sql: str, name: str, table: pa.Table | pa.RecordBatchReader) -> pa.Table:
        """Run `sql` with `table` registered under `name`."""
        self.con.register(name, table)
        try:
            return self.con.sql(sql).to_arrow_table()
        finally:
            self.con.unregister(name)

    def _write(self, out: pa.Table) -> None:
        """Apply LIMIT, then encode and append to the sink and/or hand the rows on."""
        if self.rebuilding:
            return
        if self.analysis.limit is not None:
            out = out.slice(0, max(0, self.analysis.limit - self.emitted))
        self.emitted += out.num_rows
        if out.num_rows == 0:
            return
        if self.encoder is not None and self.sink is not None:
            timestamps = out.column(ROWTIME_OUT).combine_chunks()
            if self.sink.timestamp_column is not None:
                timestamps, keep = sink_timestamps(
                    out.column(self.sink.timestamp_column), self.sink.timestamp_format, timestamps
                )
                if keep is not None:  # records without a valid timestamp are dropped
                    out, timestamps = out.filter(keep), timestamps.filter(keep)
            window = None
            if self.windowed:
                window = tuple(out.column(n).combine_chunks() for n in WINDOW_OUT)
            tombstones = pc.fill_null(out.column(TOMBSTONE_OUT).combine_chunks(), False)
            values = None
            if VALUE_OUT in out.column_names:
                values = out.column(VALUE_OUT).combine_chunks()
            records = self.encoder.encode(out, timestamps, tombstones, window=window, values=values)
            self.log.produce(self.sink.topic, records)
        if self.emit is not None:
            self.emit(out)

    def _commit_positions(self) -> None:
        if self.commit_offsets is not None and not self.rebuilding:
            self.commit_offsets(dict(self.reader.positions))

    def input_readers(self) -> list[TopicReader]:
        """The readers of the query's inputs, in the order of its inputs."""
        return [self.reader]

    @property
    def rebuilding(self) -> bool:
        """Whether the query is rebuilding its state (see rebuild.py): its output is held back
        and its consumer group's positions are left as they are."""
        return any(reader.stops for reader in self.input_readers())

    def _end_rebuild(self) -> None:
        """Once every reader reached the positions its rebuild stops at, output flows again."""
        readers = self.input_readers()
        if not any(reader.stops for reader in readers):
            return
        for reader in readers:
            for p, stop in reader.stops.items():
                if reader.positions.get(p, 0) < min(stop, self.log.end_offset(reader.topic, p)):
                    return
        for reader in readers:
            reader.stops.clear()
        _log.info("Query %s rebuilt its state; its output resumes", self.query_id)


class StatelessQuery(QueryRunner):
    """Filter / project / re-key, evaluated by DuckDB over each decoded micro-batch."""

    def __init__(
        self,
        query_id: str,
        analysis,
        log,
        processing_log: ProcessingLog,
        *,
        sink: Source | None = None,
        emit: Callable[[pa.Table], None] | None = None,
        positions: dict[int, int] | None = None,
        commit: Callable[[dict[int, int]], None] | None = None,
    ) -> None:
        super().__init__(
            query_id, analysis, log, processing_log, sink=sink, emit=emit, positions=positions,
            commit=commit, null_keys=not analysis.repartitioned,
        )
        # With a WHERE clause, records without a value are dropped.
        where = f' WHERE NOT "{DELETED}" AND {analysis.where_sql}' if analysis.where_sql else ""
        select = select_list_sql(analysis.columns)
        select = f"{select}, " if select else ""
        bounds = f'"WINDOWSTART" AS "{WINDOW_OUT[0]}", "WINDOWEND" AS "{WINDOW_OUT[1]}", '
        self.sql = (
            f'SELECT {select}{bounds if self.windowed else ""}"ROWTIME" AS "{ROWTIME_OUT}", '
            f'"{DELETED}" AS "{TOMBSTONE_OUT}" FROM batch{where}'
        )
        self.output_schema = pa.schema(
            [pa.field(c.name, c.type.arrow()) for c in analysis.columns]
            + ([pa.field(n, pa.int64()) for n in WINDOW_OUT] if self.windowed else [])
            + [pa.field(ROWTIME_OUT, pa.int64()), pa.field(TOMBSTONE_OUT, pa.bool_())]
        )
        # Plain JSON streams: decode + SELECT in one query while batches verify (see fused.py);
        # into a plain JSON sink, that query writes the value texts too.
        self.fused = None
        self.fused_schema = self.output_schema  # what the fused query's rows are cast to
        if FusedJsonStateless.applies(analysis.source):
            encoded = self._fused_encoding()
            self.fused = FusedJsonStateless(
                analysis.source, select_list_sql(analysis.columns), analysis.where_sql,
                encoded=encoded,
            )
            if encoded is not None:  # the fused query's columns, in its order
                names = [*encoded[1], ROWTIME_OUT, TOMBSTONE_OUT]
                fields = [self.output_schema.field(name) for name in names]
                self.fused_schema = pa.schema([*fields, pa.field(VALUE_OUT, pa.string())])

    def _fused_encoding(self) -> tuple[str, list[str]] | None:
        """The sink's value SQL and key columns, when the fused query can encode values: a
        persistent query into a JSON sink of flat types, no window, timestamp column or
        transient consumer (they need the value columns themselves)."""
        if self.encoder is None or self.emit is not None or self.windowed:
            return None
        if self.sink is None or self.sink.timestamp_column is not None:
            return None
        value_sql = self.encoder.value_sql()
        if value_sql is None:
            return None
        return value_sql, [name for name, _ in self.encoder.key_columns]

    def step(self, max_records: int = 65536) -> int:
        """Process one micro-batch; returns the number of source records consumed."""
        # Step 1: read.
        records = self.reader.poll(max_records)
        if records is None:
            return 0
        consumed = records.num_rows
        # Steps 2 and 3 fused, when the whole batch decodes by the JSON fast path.
        out = self.fused.run(self.con, records) if self.fused is not None else None
        if out is not None:
            out = out.cast(self.fused_schema)
        else:
            # Step 2: decode; bad records go to the processing log.
            decoded = self._decode(records)
            # Step 3: compute.
            if decoded.num_rows:
                out = self._query(self.sql, "batch", chunked(decoded)).cast(self.output_schema)
        # Step 4: write.
        if out is not None:
            self._write(out)
        # Step 5: commit the source positions after the output is written.
        self._commit_positions()
        return consumed
