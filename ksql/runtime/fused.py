"""Decode, project and filter a JSON stream's micro-batch in one DuckDB query.

The general path decodes a batch into an Arrow table (ksqlDB's JSON rules, bad records to the
processing log), then runs the query's SELECT over it. When the batch's records all verify under
the JSON fast path (json_decode.FastLayout: one typed json_transform whose re-serialization
reproduces each record byte for byte), the decoded values are exactly what the general path
would produce, with no errors; this module then evaluates the SELECT directly over the parsed
fields, with the same column names and DuckDB types as the general path's batch. If any record
fails to verify (or DuckDB raises), the result is discarded and the caller takes the general
path for the whole batch, so behaviour is the same either way.

Given the sink's value SQL (SinkEncoder.value_sql), the same query also writes each output
record's value text, and returns only the key columns beside it: the value columns never
become an Arrow table of their own.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import Source
from ksql.formats.base import as_array
from ksql.formats.duck import chunked
from ksql.formats.json_decode import FastLayout, fast_layout, sample_keys
from ksql.formats.json_format import is_unwrapped
from ksql.runtime.decode import DELETED, source_formats
from ksql.types import quote_identifier

OK = "__ksql_fused_ok"


class FusedJsonStateless:
    """One query per batch for a stateless query over a plain JSON stream; built per query."""

    def __init__(
        self,
        source: Source,
        select_sql: str,
        where_sql: str | None,
        *,
        encoded: tuple[str, list[str]] | None = None,
    ) -> None:
        """encoded: (value SQL over the output columns, names of the columns to keep beside
        it), to return the value text as VALUE_OUT instead of the value columns."""
        self.source = source
        self.select_sql = select_sql
        self.where_sql = where_sql
        self.encoded = encoded
        self.key_columns = [(c.name, c.type) for c in source.key_columns]
        self.value_columns = [(c.name, c.type) for c in source.value_columns]
        self.key_format = source_formats(source)[0]
        self._sql: dict[tuple[str, ...], str | None] = {}

    @staticmethod
    def applies(source: Source) -> bool:
        """Streams in JSON (wrapped) without windows, headers or a TIMESTAMP column."""
        value_columns = [(c.name, c.type) for c in source.value_columns]
        names = [c.name.lower() for c in source.columns]
        return (
            source.value_format.name.upper() == "JSON"
            and bool(value_columns)
            and not is_unwrapped(value_columns, source.wrap_single_value)
            and not source.is_table
            and source.window is None
            and not source.header_columns
            and source.timestamp_column is None
            and len(set(names)) == len(names)
            and not {"rowtime", "rowpartition", "rowoffset", DELETED.lower(), OK} & set(names)
        )

    def _query(self, layout: FastLayout) -> str:
        columns = [f"k{i} AS {quote_identifier(name)}" for i, (name, _) in enumerate(self.key_columns)]
        columns += [
            f"{value} AS {quote_identifier(name)}"
            for (name, _), value in zip(self.value_columns, layout.values, strict=True)
        ]
        columns += [
            '__ts AS "ROWTIME"', '__p AS "ROWPARTITION"', '__o AS "ROWOFFSET"',
            f'v IS NULL AS "{DELETED}"', f"{layout.ok} AS {OK}",
        ]
        # A record that did not verify is always kept, so the caller sees it and falls back.
        where = f' WHERE NOT {OK} OR (NOT "{DELETED}" AND {self.where_sql})' if self.where_sql else ""
        select = f"{self.select_sql}, " if self.select_sql else ""
        from ksql.runtime.runner import ROWTIME_OUT, TOMBSTONE_OUT, VALUE_OUT

        query = (
            f"WITH batch AS (SELECT {', '.join(columns)} FROM "
            f"(SELECT *, {layout.parsed} AS r FROM src)) "
            f'SELECT {select}"ROWTIME" AS "{ROWTIME_OUT}", "{DELETED}" AS "{TOMBSTONE_OUT}", '
            f"{OK} FROM batch{where}"
        )
        if self.encoded is None:
            return query
        value_sql, keep = self.encoded
        kept = "".join(f"{quote_identifier(name)}, " for name in keep)
        return (
            f'SELECT {kept}"{ROWTIME_OUT}", "{TOMBSTONE_OUT}", {value_sql} AS "{VALUE_OUT}", '
            f"{OK} FROM ({query})"
        )

    def run(self, con, records: pa.Table) -> pa.Table | None:
        """The query's output rows for `records`, or None to take the general path."""
        n = records.num_rows
        if n == 0:
            return None
        try:
            texts = as_array(records.column("value")).cast(pa.string())
        except pa.ArrowInvalid:
            return None
        keys = sample_keys(texts)
        if keys is None:
            return None
        sql = self._sql.get(keys)
        if sql is None:
            if keys in self._sql or len(self._sql) > 64:
                return None
            layout = fast_layout(self.value_columns, keys)
            sql = self._query(layout) if layout is not None and layout.exact else None
            self._sql[keys] = sql
            if sql is None:
                return None
        arrays = {
            "v": texts,
            "__ts": records.column("timestamp"),
            "__p": records.column("partition"),
            "__o": records.column("offset"),
        }
        if self.key_columns:
            result = self.key_format.decode(
                as_array(records.column("key")), self.key_columns, wrap_single=False
            )
            if result.errors is not None and result.errors.null_count < len(result.errors):
                return None
            for i, (name, _) in enumerate(self.key_columns):
                arrays[f"k{i}"] = result.table.column(name)
        con.register("src", chunked(pa.table(arrays)))
        try:
            out = con.sql(sql).to_arrow_table()
        except Exception:  # noqa: BLE001 - the general path reproduces any genuine error
            return None
        finally:
            con.unregister("src")
        ok = out.column(OK)
        if ok.null_count or not pc.all(ok).as_py():
            return None
        return out.drop_columns([OK])
