"""GROUP BY another key in cluster mode: a repartition topic between reading and aggregating.

The state of a group key must live on one server, so an aggregation whose GROUP BY is not its
source's key first re-keys its input: stage 1 reads the owned source partitions, evaluates the
WHERE clause, the group key and the aggregate arguments, and writes them keyed by the group key
(JSON key and value, ROWTIME as the record timestamp) to
`_confluent-ksql-<service id>query_<ID>-Aggregate-GroupBy-repartition` (the source's partition
count; Kafka's partitioner puts a key on one partition). Stage 2 is the ordinary cluster
aggregation over that topic, whose key is now the group key. Each stage leases its own input
partitions; with exactly_once_v2 each commits its writes and input offsets in a transaction.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ksql.catalog import KEY, VALUE, Column, FormatSpec, Source
from ksql.cluster.changelog import ensure_changelog
from ksql.cluster.tasks import EXACTLY_ONCE, ClusterAggregationQuery, _GroupMember
from ksql.cluster.transactions import TransactionalLog
from ksql.runtime.decode import DELETED
from ksql.runtime.operator import StateStoreSpec
from ksql.runtime.runner import ROWTIME_OUT, TOMBSTONE_OUT, QueryRunner
from ksql.storage.state_files import state_path
from ksql.types import BOOLEAN
from ksql.types import quote_identifier as q

PRESENT = "__KSQL_PRESENT"  # a value column, so no repartitioned record is a tombstone
STAGE = "GroupBy"


def repartition_topic(service_id: str, query_id: str) -> str:
    return f"_confluent-ksql-{service_id}query_{query_id}-Aggregate-GroupBy-repartition"


def plan(analysis, topic: str) -> tuple[Source, Any, str]:
    """The repartition topic's source, the aggregation over it, and stage 1's SELECT."""
    columns = [Column(k.name, k.type, KEY) for k in analysis.keys]
    args: dict[str, str] = {}
    for call in analysis.calls:
        for sql, name, type_ in zip(
            call.arg_sqls, call.arg_names, call.function.arg_types, strict=True
        ):
            if name not in args:
                args[name] = sql
                columns.append(Column(name, type_, VALUE))
    columns.append(Column(PRESENT, BOOLEAN, VALUE))
    source = Source(
        name=f"{analysis.source.name}_{STAGE.upper()}_REPARTITION",
        kind="STREAM",
        topic=topic,
        columns=tuple(columns),
        key_format=FormatSpec("JSON"),
        value_format=FormatSpec("JSON"),
    )
    stage2 = dataclasses.replace(
        analysis,
        source=source,
        where_sql=None,
        keys=tuple(dataclasses.replace(k, sql=q(k.name)) for k in analysis.keys),
        calls=tuple(
            dataclasses.replace(c, arg_sqls=tuple(q(n) for n in c.arg_names))
            for c in analysis.calls
        ),
    )
    select = [f"{k.sql} AS {q(k.name)}" for k in analysis.keys]
    select += [f"{sql} AS {q(name)}" for name, sql in args.items()]
    select += [f"true AS {q(PRESENT)}", f'"ROWTIME" AS "{ROWTIME_OUT}"']
    select.append(f'false AS "{TOMBSTONE_OUT}"')
    where = [f"NOT {DELETED}"] + [f"({k.sql}) IS NOT NULL" for k in analysis.keys]
    if analysis.where_sql:
        where.append(f"({analysis.where_sql})")
    sql = f"SELECT {', '.join(select)} FROM batch WHERE {' AND '.join(where)}"
    return source, stage2, sql


class RepartitionStage(_GroupMember, QueryRunner):
    """Stage 1: source records re-keyed by the group key into the repartition topic."""

    def __init__(self, query_id, analysis, log, processing_log, *, sink: Source, sql: str,
                 positions, node, group: str, properties: dict[str, str]) -> None:  # fmt: skip
        super().__init__(
            query_id, analysis, log, processing_log, sink=sink, emit=None,
            positions=positions, commit=None, null_keys=False,
        )  # fmt: skip
        self.sql = sql
        self.txn = None
        if properties.get("processing.guarantee", "").lower() in EXACTLY_ONCE:
            self.txn = TransactionalLog(log, node.transactional_id(f"{group}-{STAGE}"), properties)
            self.log = self.reader.log = self.txn
        self._join_group(node, group, properties, name=f"{query_id}-{STAGE}")

    def step(self, max_records: int = 65536) -> int:
        self._serve_group()
        if not self.reader.assigned:
            return 0
        records = self.reader.poll(max_records)
        if records is None:
            return 0
        if self.txn is not None:
            self.txn.begin()
        try:
            decoded = self._decode(records)
            if decoded.num_rows:
                out = self._query(self.sql, "batch", decoded)
                if out.num_rows:
                    self._write(out)
            if self.txn is not None:
                offsets = self.membership.offsets(self._owned_positions())
                self.txn.commit(offsets, self.membership.metadata())
        except Exception:
            if self.txn is not None:
                self.txn.abort()
            self.reader.assigned = set()
            self.membership.reset()
            raise
        if self.txn is None:
            self._commit_group()
        return records.num_rows

    def close(self) -> None:
        self._leave_group()
        if self.txn is not None:
            self.txn.close()


class RepartitionedAggregation:
    """The two stages of one persistent query, stepped together."""

    def __init__(self, stage1: RepartitionStage, stage2: ClusterAggregationQuery) -> None:
        self.stage1 = stage1
        self.stage2 = stage2
        self.readers = [stage1.reader, stage2.reader]
        self.query_id = stage2.query_id

    @property
    def reader(self):
        return self.stage2.reader

    @classmethod
    def declared_stores(
        cls, analysis, properties: dict[str, str]
    ) -> tuple[StateStoreSpec, ...]:
        """Stage 2's stores (stage 1 keeps none); the topic's name does not change them."""
        stage2 = plan(analysis, topic="")[1]
        return ClusterAggregationQuery.declared_stores(stage2, properties)

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return (*self.stage1.state_stores(), *self.stage2.state_stores())

    def step(self, max_records: int = 65536) -> int:
        return self.stage1.step(max_records) + self.stage2.step(max_records)

    def close(self) -> None:
        self.stage1.close()
        self.stage2.close()


def build(node, engine, query_id, analysis, sink, positions, group, session):
    """Both stages of an aggregation that groups by something other than its source key."""
    service_id = session.get("ksql.service.id", "default_")
    topic = repartition_topic(service_id, query_id)
    partitions = engine.log.describe_topic(analysis.source.topic).partitions
    ensure_changelog(engine.log, topic, partitions, config={})
    rep_source, stage2_analysis, sql = plan(analysis, topic)
    stage1 = RepartitionStage(
        query_id, analysis, engine.log, engine.processing_log, sink=rep_source, sql=sql,
        positions=positions[0], node=node, group=group, properties=session,
    )  # fmt: skip
    stage2 = ClusterAggregationQuery(
        query_id, stage2_analysis, engine.log, engine.processing_log,
        state_path(engine.data_dir / "state", query_id), sink=sink, positions={}, node=node,
        group=group, properties=session,
    )  # fmt: skip
    stage2.reset = "earliest"  # an internal topic is read from its start
    return RepartitionedAggregation(stage1, stage2)
