"""The operator protocol: what every runtime operator offers, and the state stores it declares.

An operator turns one micro-batch (an Arrow table) into another; a join operator takes two,
its left and right inputs. The state it keeps between batches lives only in the stores it
declares: tables in the query's DuckDB state file that are committed with the query's source
positions. Each stateful operator also has a `declared_stores` classmethod that lists the same
stores from its configuration alone, so a runner's `declared_stores` can answer EXPLAIN for a
query that is not running. Cluster mode's changelog and restore, DESCRIBE EXTENDED and
EXPLAIN all read these declarations; nothing else lists a query's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class StateStoreSpec:
    """One store an operator keeps: a table of the query's state file."""

    name: str  # the table's name in the state file
    operator: str  # the operator that owns it, e.g. "Aggregate" or "StreamTableJoin[1]"
    key: tuple[str, ...]  # the columns that identify a row (empty: an append-only buffer)
    columns: tuple[tuple[str, str], ...] = ()  # (name, SQL type) where known before it runs
    retention_ms: int | None = None  # rows older than this (in event time) expire; None: kept
    changelog: bool = False  # copied to a changelog topic and restored from it in cluster mode

    def describe(self) -> str:
        """One line for EXPLAIN and DESCRIBE EXTENDED."""
        key = ", ".join(self.key) if self.key else "none (append-only)"
        retention = "until deleted" if self.retention_ms is None else f"{self.retention_ms} ms"
        changelog = ", changelogged in cluster mode" if self.changelog else ""
        return f"{self.name} ({self.operator}): key [{key}], retention {retention}{changelog}"


class Operator:
    """Base of runtime operators: `process` one batch; lifecycle hooks are no-ops by default."""

    def process(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        """The stores this operator keeps (none for a stateless operator)."""
        return ()

    def on_checkpoint(self) -> None:
        """Called after the query's outputs, state and positions were committed together."""

    def close(self) -> None:
        """Release what the operator holds; its stores stay in the state file."""
