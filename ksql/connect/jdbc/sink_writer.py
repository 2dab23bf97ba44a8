"""Writing a batch of sink records: one transaction for every table's rows and the positions.

`prepare` turns one table's extracted records into a `TableBatch`: values converted to the
columns' types (a record whose value does not convert is rejected, the others go on), the last
record per key kept (a key deleted anywhere in the batch is deleted first, then written again if
its last record is not a delete), values bound as the driver takes them.

`Writer.apply` applies the batches and the positions in one transaction. When the database
rejects them for their data, `Writer.recover` finds the records at fault by bisection (trial
transactions, rolled back), reports them, and commits the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from ksql.connect.api import ConnectError, DataError, SinkRecord
from ksql.connect.jdbc.dialects import Dialect, RejectedData, WriteSpec
from ksql.connect.jdbc.sink_fields import Extracted
from ksql.connect.jdbc.sink_tables import Tables

Report = Callable[[SinkRecord, BaseException], None]


@dataclass(slots=True)
class TableBatch:
    """What to delete from and write to one table, and the record behind each."""

    spec: WriteSpec
    deletes: list[tuple]
    delete_records: list[SinkRecord]
    rows: list[tuple]
    row_records: list[SinkRecord]

    def units(self) -> list[tuple[tuple | None, tuple | None, SinkRecord]]:
        """(delete, row, record) per key: what must succeed or fail together."""
        width = len(self.spec.keys)
        by_key: dict[Any, list] = {}
        for key, record in zip(self.deletes, self.delete_records):
            by_key[key] = [key, None, record]
        for index, (row, record) in enumerate(zip(self.rows, self.row_records)):
            unit = by_key.setdefault(row[:width] if width else index, [None, None, record])
            unit[1], unit[2] = row, record
        return [tuple(u) for u in by_key.values()]  # type: ignore[misc]

    def of(self, units: list[tuple[tuple | None, tuple | None, SinkRecord]]) -> TableBatch:
        deletes = [(d, r) for d, _, r in units if d is not None]
        rows = [(w, r) for _, w, r in units if w is not None]
        return TableBatch(
            self.spec,
            [d for d, _ in deletes],
            [r for _, r in deletes],
            [w for w, _ in rows],
            [r for _, r in rows],
        )


def prepare(
    spec: WriteSpec, extracted: Extracted, tables: Tables, dialect: Dialect
) -> tuple[TableBatch, dict[int, DataError]]:
    """The batch for one table, and the records (by index) that cannot be written."""
    errors = dict(extracted.errors)
    converters = tables.converters(spec)
    columns = []
    for column, converter, values in zip(
        spec.columns, converters, extracted.key_columns + extracted.value_columns
    ):
        if converter is not None:
            values, failed = converter.column(values)
            for index, error in failed.items():
                errors.setdefault(index, DataError(f'Column "{column.name}": {error}'))
            values = dialect.bind(column, converter.schema, values)
        columns.append(values)
    width = len(spec.keys)
    for column, values in zip(spec.keys, columns):
        if None in values:
            for index in (i for i, v in enumerate(values) if v is None):
                errors.setdefault(index, DataError(f'Primary key column "{column.name}" is null'))
    records = extracted.records
    good = [i for i in range(len(records)) if i not in errors] if errors else None
    write, delete = _last_per_key(columns[:width], len(records), good, extracted.deletes)
    rows = list(zip(*columns)) if columns else [() for _ in records]
    batch = TableBatch(
        spec,
        [rows[i][:width] for i in delete],
        [records[i] for i in delete],
        rows if write is None else [rows[i] for i in write],
        records if write is None else [records[i] for i in write],
    )
    return batch, errors


def _last_per_key(
    keys: list[list[Any]], count: int, good: list[int] | None, deletes: list[bool] | None
) -> tuple[list[int] | None, list[int]]:
    """(indexes of the records to write, None for all; indexes of the deletes to run)."""
    if not keys:  # no key: every record is a row of its own
        return good, []
    key_of = keys[0] if len(keys) == 1 else list(zip(*keys))
    if deletes is None:
        if good is None:
            last = dict(zip(key_of, range(count)))
            return (None if len(last) == count else sorted(last.values())), []
        return sorted({key_of[i]: i for i in good}.values()), []
    last, deleted = {}, {}
    for i in range(count) if good is None else good:
        last[key_of[i]] = i
        if deletes[i]:
            deleted[key_of[i]] = i
    return sorted(i for i in last.values() if not deletes[i]), sorted(deleted.values())


class Writer:
    """Commits batches and positions together; rejected records go to `report`."""

    def __init__(self, dialect: Dialect, report: Report) -> None:
        self.dialect = dialect
        self.report = report

    def apply(self, conn: Any, batches: list[TableBatch], save: Callable[[Any], None]) -> None:
        """Apply `batches`, then `save(conn)` (the positions), in one transaction. RejectedData
        when the database refuses some data: then nothing is written."""
        d = self.dialect
        with d.errors(f"Writing to {d.target.display}"), d.transaction(conn):
            for batch in batches:
                if batch.deletes or batch.rows:
                    d.write(conn, batch.spec, batch.deletes, batch.rows)
            save(conn)

    def recover(
        self,
        conn: Any,
        batches: list[TableBatch],
        save: Callable[[Any], None],
        rejected_all: RejectedData,
    ) -> None:
        """After `apply` raised `rejected_all`: report the records at fault, apply the rest."""
        rejected: list[tuple[SinkRecord, RejectedData]] = []
        kept = []
        for batch in batches:
            units = batch.units()
            bad = self._search(conn, batch, units)
            rejected += [(unit[2], failure) for unit, failure in bad]
            bad_ids = {id(unit) for unit, _ in bad}
            kept.append(batch.of([u for u in units if id(u) not in bad_ids]))
        if not rejected:  # the batch fails as a whole, no record alone
            raise ConnectError(str(rejected_all)) from rejected_all
        for record, failure in rejected:
            self.report(record, failure)
        try:
            self.apply(conn, kept, save)
        except RejectedData as error:
            raise ConnectError(str(error)) from error

    def _search(self, conn: Any, batch: TableBatch, units: list) -> list[tuple[Any, RejectedData]]:
        """The units of `batch` the database rejects even alone, found by halving."""
        failure = self._trial(conn, batch.of(units))
        if failure is None:
            return []
        if len(units) == 1:
            return [(units[0], failure)]
        middle = len(units) // 2
        return self._search(conn, batch, units[:middle]) + self._search(conn, batch, units[middle:])

    def _trial(self, conn: Any, batch: TableBatch) -> RejectedData | None:
        """Whether the database rejects `batch` (written, then rolled back)."""
        d = self.dialect
        try:
            with d.errors(f"Writing to {d.target.display}"):
                d.begin(conn)
                try:
                    d.write(conn, batch.spec, batch.deletes, batch.rows)
                finally:
                    with suppress(Exception):
                        d.rollback(conn)
        except RejectedData as error:
            return error
        return None
