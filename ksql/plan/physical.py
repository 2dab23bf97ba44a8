"""The physical planner: how a logical plan runs, and the one place that builds its runner.

`physical_plan` maps a logical plan to the runner that executes it, its operators in order,
the state stores they declare and the topics it reads and writes; EXPLAIN prints it.
`build_runner` constructs that runner for a persistent query (embedded or cluster mode) or a
transient one, and has a persistent query outside cluster mode rebuild a lost state (see
runtime/rebuild.py). Which runner runs a query is decided here, from the plan's nodes, and
nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksql.catalog import Source
from ksql.plan.cluster_rules import check_cluster_plan, regroups_across_partitions
from ksql.plan.logical import (
    AggregateNode,
    FilterNode,
    JoinNode,
    PlanNode,
    RepartitionNode,
    SinkNode,
    TableFunctionNode,
    WindowedAggregateNode,
    sources_of,
    walk_plan,
)
from ksql.runtime.aggregate import record_cache_enabled
from ksql.runtime.aggregation_query import AggregationQuery
from ksql.runtime.fused import FusedJsonStateless
from ksql.runtime.join_aggregation import JoinAggregationQuery
from ksql.runtime.join_query import JoinQuery
from ksql.runtime.operator import StateStoreSpec
from ksql.runtime.rebuild import restore
from ksql.runtime.runner import QueryRunner, StatelessQuery
from ksql.storage.state_files import state_path, usable_state_file

STATELESS, AGGREGATION, JOIN, JOIN_AGGREGATION = "stateless", "aggregation", "join", "join-aggr"

RUNNERS: dict[str, type] = {
    STATELESS: StatelessQuery,
    AGGREGATION: AggregationQuery,
    JOIN: JoinQuery,
    JOIN_AGGREGATION: JoinAggregationQuery,
}

JOIN_OPERATORS = {
    "STREAM_STREAM": "StreamStreamJoin",
    "STREAM_TABLE": "StreamTableJoin",
    "TABLE_TABLE": "TableTableJoin",
    "FOREIGN_KEY": "ForeignKeyJoin",
}


@dataclass(frozen=True, slots=True)
class PhysicalPlan:
    """How a query runs: its runner, operators in order, state stores and topics."""

    kind: str  # STATELESS, AGGREGATION, JOIN or JOIN_AGGREGATION
    runner: str  # the runner class
    operators: tuple[str, ...]  # one line per operator, in processing order
    stores: tuple[StateStoreSpec, ...]
    source_topics: tuple[str, ...]
    sink_topic: str | None
    internal_topics: tuple[str, ...] = ()


def runner_kind(plan: PlanNode) -> str:
    """Which runner executes a plan: decided by its aggregation and join nodes."""
    nodes = list(walk_plan(plan))
    aggregates = any(isinstance(n, AggregateNode | WindowedAggregateNode) for n in nodes)
    joins = any(isinstance(n, JoinNode) for n in nodes)
    if aggregates:
        return JOIN_AGGREGATION if joins else AGGREGATION
    return JOIN if joins else STATELESS


def physical_plan(
    plan: SinkNode,
    analysis,
    properties: dict[str, str],
    *,
    query_id: str | None = None,
    cluster: bool = False,
    stores: tuple[StateStoreSpec, ...] | None = None,
) -> PhysicalPlan:
    """The physical plan of `plan`. `stores` are a running query's own declarations; without
    them they are computed from the configuration (nothing is opened)."""
    kind = runner_kind(plan)
    regrouped = cluster and kind == AGGREGATION and regroups_across_partitions(plan)
    runner_cls = _runner_class(kind, cluster, regrouped)
    if stores is None:
        stores = tuple(runner_cls.declared_stores(analysis, properties))
    internal: list[str] = []
    if cluster and kind == AGGREGATION and query_id is not None:
        # Cluster mode needs the Kafka client: imported only when a cluster runs.
        from ksql.cluster.changelog import changelog_topic
        from ksql.cluster.repartition import repartition_topic

        service_id = properties.get("ksql.service.id", "default_")
        if regrouped:
            internal.append(repartition_topic(service_id, query_id))
        internal.append(changelog_topic(service_id, query_id))
    return PhysicalPlan(
        kind=kind,
        runner=runner_cls.__name__,
        operators=tuple(_operators(plan, analysis, kind, properties, regrouped)),
        stores=tuple(stores),
        source_topics=tuple(s.topic for s in sources_of(plan)),
        sink_topic=plan.topic,
        internal_topics=tuple(internal),
    )


def _runner_class(kind: str, cluster: bool, regrouped: bool) -> type:
    if not cluster:
        return RUNNERS[kind]
    from ksql.cluster.repartition import RepartitionedAggregation
    from ksql.cluster.tasks import ClusterAggregationQuery, ClusterStatelessQuery

    if regrouped:
        return RepartitionedAggregation
    # Other kinds are refused by check_cluster_plan before a runner is asked for.
    return {STATELESS: ClusterStatelessQuery, AGGREGATION: ClusterAggregationQuery}[kind]


def _operators(plan: SinkNode, analysis, kind: str, properties: dict[str, str], regrouped: bool):
    """The operators of a runner, as EXPLAIN lists them."""
    sources = sources_of(plan)
    nodes = list(walk_plan(plan))
    for source in sources:
        formats = f"key {source.key_format.name}, value {source.value_format.name}"
        yield f"Read {source.topic} ({source.kind} {source.name}); decode {formats}"
    if len(sources) > 1:
        yield "Merge the inputs in event-time order (JoinPipeline)"
    for join in reversed([n for n in nodes if isinstance(n, JoinNode)]):
        yield f"{JOIN_OPERATORS[join.shape]} ({join.kind}) in DuckDB over the state stores"
    filters = [n for n in nodes if isinstance(n, FilterNode)]
    where = [f for f in filters if f.clause == "WHERE"]
    having = [f for f in filters if f.clause == "HAVING"]
    if kind in (AGGREGATION, JOIN_AGGREGATION):
        if regrouped:
            yield "Re-key by the GROUP BY and write the repartition topic (stage 1)"
        pre = "WHERE, group keys and aggregate arguments" if where else (
            "group keys and aggregate arguments")
        yield f"Pre-project {pre} (DuckDB)"
        cache = "on" if record_cache_enabled(properties) else "off"
        yield f"AggregateOperator (record cache {cache}; running aggregates per group)"
        if having:
            yield "HAVING over the aggregated rows (failing groups become tombstones)"
        yield "Project the output columns (DuckDB)"
    else:
        flat = any(isinstance(n, TableFunctionNode) for n in nodes)
        rekey = any(isinstance(n, RepartitionNode) for n in nodes)
        steps = ["WHERE"] if where else []
        steps += ["table functions"] if flat else []
        steps += ["PARTITION BY"] if rekey else []
        steps.append("projection")
        fused = ""
        # The same test the stateless runner makes on its source.
        if kind == STATELESS and FusedJsonStateless.applies(analysis.source):
            fused = "; fused with the JSON decode while batches verify"
        yield f"{', '.join(steps).capitalize()} in one DuckDB query{fused}"
    if plan.name is None:
        yield "Hand the rows to the client"
    else:
        formats = f"key {plan.key_format.name}, value {plan.value_format.name}"  # type: ignore
        yield f"Encode ({formats}) and write {plan.topic}"
    stateful = kind != STATELESS
    yield ("Commit state and source positions in one transaction" if stateful
           else "Commit the source positions")  # fmt: skip


# Construction ----------------------------------------------------------------------------------


@dataclass(slots=True)
class RunnerContext:
    """What a runner is built with, besides its analysis."""

    query_id: str
    log: Any
    processing_log: Any
    state_dir: Path
    properties: dict[str, str]
    positions: list[dict[int, int]]  # per input, where reading starts
    sink: Source | None = None  # a persistent query's sink
    emit: Callable | None = None  # a transient query's consumer of output tables
    commit: Callable[[int, dict[int, int]], None] | None = None  # (input index, positions)
    cluster: Any = None  # the ClusterNode when servers share the query's partitions
    engine: Any = None  # needed by cluster mode's two-stage repartitioning only
    group: str | None = None  # the query's consumer group


def state_file(ctx: RunnerContext) -> Path:
    return state_path(ctx.state_dir, ctx.query_id)


def build_runner(plan: SinkNode, analysis, ctx: RunnerContext):
    """The runner of the query `plan` (analyzed as `analysis`)."""
    kind = runner_kind(plan)
    if ctx.cluster is not None:
        return _cluster_runner(kind, plan, analysis, ctx)
    common: dict[str, Any] = {"sink": ctx.sink, "emit": ctx.emit}
    first_commit = None
    if ctx.commit is not None:
        commit = ctx.commit
        first_commit = lambda offsets: commit(0, offsets)
    args = (ctx.query_id, analysis, ctx.log, ctx.processing_log)
    if kind == STATELESS:
        return StatelessQuery(*args, positions=ctx.positions[0], commit=first_commit, **common)
    path = state_file(ctx)
    had_state = usable_state_file(path)
    committed = [dict(p) for p in ctx.positions]  # before a runner updates them from its state
    runner: QueryRunner
    if kind == AGGREGATION:
        runner = AggregationQuery(
            *args, path, positions=ctx.positions[0], commit=first_commit,
            properties=ctx.properties, **common,
        )  # fmt: skip
    elif kind == JOIN:
        runner = JoinQuery(*args, path, positions=ctx.positions, commit=ctx.commit, **common)
    else:
        runner = JoinAggregationQuery(
            *args, path, positions=ctx.positions, commit=ctx.commit,
            properties=ctx.properties, **common,
        )  # fmt: skip
    if ctx.group is not None:  # a persistent query: its lost state is rebuilt
        restore(runner, ctx.log, ctx.group, committed, had_state=had_state)
    return runner


def _cluster_runner(kind: str, plan: SinkNode, analysis, ctx: RunnerContext):
    from ksql.cluster.repartition import build as build_repartitioned
    from ksql.cluster.tasks import ClusterAggregationQuery, ClusterStatelessQuery

    check_cluster_plan(plan)
    node, group = ctx.cluster, ctx.group
    if kind == AGGREGATION and regroups_across_partitions(plan):
        return build_repartitioned(
            node, ctx.engine, ctx.query_id, analysis, ctx.sink, ctx.positions, group,
            ctx.properties,
        )  # fmt: skip
    common = {"sink": ctx.sink, "positions": ctx.positions[0], "node": node, "group": group}
    args = (ctx.query_id, analysis, ctx.log, ctx.processing_log)
    if kind == AGGREGATION:
        return ClusterAggregationQuery(*args, state_file(ctx), properties=ctx.properties, **common)
    return ClusterStatelessQuery(*args, properties=ctx.properties, **common)
