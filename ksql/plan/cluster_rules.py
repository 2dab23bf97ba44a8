"""What cluster mode can run, decided on the logical plan.

Servers sharing a query's partitions keep each group's state on the server that owns its
partition, restored from changelog topics. That is built for stateless queries and for
aggregations over streams; joins and aggregations over tables keep state that is not
changelogged yet, so they are refused with a clear message. An aggregation whose GROUP BY is
not its source's key re-keys its rows through a repartition topic first.
"""

from __future__ import annotations

from ksql.errors import StatementError
from ksql.plan.logical import (
    AggregateNode,
    JoinNode,
    PlanNode,
    RepartitionNode,
    SourceNode,
    WindowedAggregateNode,
    walk_plan,
)

CLUSTER = "(ksql.cluster.enabled=true)"


def _aggregate(plan: PlanNode) -> AggregateNode | WindowedAggregateNode | None:
    return next(
        (n for n in walk_plan(plan) if isinstance(n, AggregateNode | WindowedAggregateNode)),
        None,
    )


def check_cluster_plan(plan: PlanNode) -> None:
    """Refuse what cluster mode cannot yet run correctly on several servers."""
    if any(isinstance(n, JoinNode) for n in walk_plan(plan)):
        raise StatementError(
            f"Joins are not supported in cluster mode yet {CLUSTER}: their state is not "
            "restored from changelog topics."
        )
    aggregate = _aggregate(plan)
    if aggregate is None:
        return
    source = _source(plan)
    if source.kind == "TABLE":
        raise StatementError(
            f"Aggregations over a TABLE are not supported in cluster mode yet {CLUSTER}."
        )
    if not any(k.expr is not None for k in aggregate.keys):
        raise StatementError(f"In cluster mode {CLUSTER} an aggregation needs a GROUP BY.")


def regroups_across_partitions(plan: PlanNode) -> bool:
    """True when the plan re-keys its rows for a GROUP BY (see builder._regroups): cluster mode
    then writes them through a repartition topic first."""
    return any(
        isinstance(n, RepartitionNode) and n.reason == "GROUP BY" for n in walk_plan(plan)
    )


def _source(plan: PlanNode) -> SourceNode:
    return next(n for n in walk_plan(plan) if isinstance(n, SourceNode))
