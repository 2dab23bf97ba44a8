"""EXPLAIN's text: the logical plan, the physical plan, the state stores and the topics.

Every section is printed deterministically (no ids, times or addresses unless they belong to
the query), so tests and users read the same text.
"""

from __future__ import annotations

from ksql.plan.logical import SinkNode, render
from ksql.plan.physical import PhysicalPlan


def _section(title: str, body: str) -> str:
    return f"{title}\n{'-' * len(title)}\n{body}\n"


def logical_text(plan: SinkNode) -> str:
    return render(plan)


def physical_text(physical: PhysicalPlan) -> str:
    """The runner and its operators, then the stores and the topics."""
    lines = [f"{physical.runner} ({physical.kind})"]
    lines += [f"  {n}. {op}" for n, op in enumerate(physical.operators, start=1)]
    body = "\n".join(lines)
    stores = "\n".join(f"  {s.describe()}" for s in physical.stores) or "  none (stateless)"
    topics = [f"  source: {t}" for t in physical.source_topics]
    topics.append(f"  sink: {physical.sink_topic}" if physical.sink_topic else "  sink: client")
    topics += [f"  internal: {t}" for t in physical.internal_topics]
    return f"{body}\n\nState stores:\n{stores}\n\nTopics:\n" + "\n".join(topics)


def explain_text(plan: SinkNode, physical: PhysicalPlan) -> str:
    """The whole EXPLAIN output for the shell and the goldens."""
    return (
        _section("Logical plan", logical_text(plan))
        + "\n"
        + _section("Physical plan", physical_text(physical))
    )
