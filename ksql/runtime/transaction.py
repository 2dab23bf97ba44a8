"""One micro-batch's transaction on a query's state file: all or nothing.

A stateful runner's step changes its stores and its stored source positions inside one DuckDB
transaction. If anything in the step raises, the transaction is rolled back, the readers go
back to the positions they had when the step began and what the runner keeps in memory is
reloaded from the state file, so the next step reads the same records again against the
state as it was committed. After a commit, the runner's operators get `on_checkpoint`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import duckdb

from ksql.runtime.operator import Operator


class PositionedReader(Protocol):
    """A reader whose `positions` (next offset per partition) advance as it reads."""

    positions: dict[int, int]


@contextmanager
def step_transaction(
    db: duckdb.DuckDBPyConnection,
    readers: Sequence[PositionedReader],
    reload: Callable[[], None] | None = None,
    operators: Sequence[Operator] = (),
) -> Iterator[None]:
    """Begin a transaction on `db`; commit when the block ends (then tell the `operators`),
    roll back if it raises."""
    saved = [dict(reader.positions) for reader in readers]
    db.execute("BEGIN TRANSACTION")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        try:
            db.execute("ROLLBACK")
        except duckdb.TransactionException:  # a failed COMMIT already ended it
            pass
        for reader, positions in zip(readers, saved, strict=True):
            reader.positions.clear()
            reader.positions.update(positions)
        if reload is not None:
            reload()
        raise
    for operator in operators:
        operator.on_checkpoint()
