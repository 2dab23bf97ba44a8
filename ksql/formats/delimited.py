"""DELIMITED: one CSV line per record (Apache Commons CSV rules, as ksqlDB writes and reads it).

Fields are separated by the delimiter (default ','), quoted with '"' and '""' inside quotes.
Reading: an empty field is null for every type; a line with the wrong number of fields is a row
error. Writing: null is an empty field; a field is quoted when Commons CSV's minimal quoting
would (it holds the delimiter, a quote or a line break, starts with a character up to '#',
ends with one up to ' ', or is the first field and does not start with a letter or digit).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ksql.errors import KsqlError
from ksql.formats import duck
from ksql.formats.base import (
    Columns,
    DecodeResult,
    as_array,
    binary_payload,
    check_map_keys,
    check_no_wrapping,
    null_table,
    table_column,
)
from ksql.formats.java_text import java_doubles
from ksql.types import ArrayType, DecimalType, MapType, SqlType, StructType

_NESTED = (ArrayType, MapType, StructType)


def _parse_sql(sql_type: SqlType, s: str) -> str:
    """DuckDB SQL parsing non-empty field text `s` as ksqlDB's delimited deserializer does."""
    name = sql_type.name
    if isinstance(sql_type, DecimalType):
        return f"TRY_CAST(trim({s}) AS {sql_type.duckdb()})"
    integral = f"CASE WHEN regexp_matches({s}, '^[+-]?[0-9]+$') THEN TRY_CAST({s} AS BIGINT) END"
    return {
        "STRING": s,
        "BOOLEAN": f"lower({s}) = 'true'",
        "INTEGER": f"TRY_CAST({integral} AS INTEGER)",
        "BIGINT": integral,
        "DOUBLE": f"TRY_CAST(trim({s}) AS DOUBLE)",
        "TIMESTAMP": f"epoch_ms({integral})",
        "TIME": f"(TIME '00:00:00' + to_milliseconds({integral}))",
        "DATE": f"(DATE '1970-01-01' + TRY_CAST({integral} AS INTEGER))",
        "BYTES": f"TRY(from_base64({s}))",
    }[name]


def _split_lines(texts: pa.Array, n_columns: int, delimiter: str) -> tuple[pa.Table, pa.Array]:
    """Fields (as text, '' for empty) of each non-null line, and each line's error or null."""
    if pc.any(pc.match_substring_regex(texts, "[\r\n]")).as_py():
        return _split_lines_python(texts, n_columns, delimiter)
    bad_rows: dict[int, str] = {}

    def invalid(row) -> str:
        bad_rows[row.number] = (
            "Column count mismatch on deserialization. "
            f"expected: {n_columns}, got: {row.actual_columns}"
        )
        return "skip"

    lines = pc.binary_join_element_wise(texts, "\n", "")
    names = [f"f{i}" for i in range(n_columns)]
    table = pcsv.read_csv(
        pa.BufferReader(binary_payload(lines)),
        read_options=pcsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 26),
        parse_options=pcsv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=invalid,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    errors = pa.nulls(len(texts), pa.string())
    if bad_rows:
        # Line numbers are 1-based; realign the parsed rows with the input rows.
        flags = [None] * len(texts)
        for number, message in bad_rows.items():
            flags[number - 1] = message
        errors = pa.array(flags, pa.string())
        keep = pc.cumulative_sum(pc.cast(pc.is_null(errors), pa.int64()))
        index = pc.if_else(pc.is_null(errors), pc.subtract(keep, 1), pa.scalar(None, pa.int64()))
        table = table.take(index)
    return table, errors


def _split_lines_python(
    texts: pa.Array, n_columns: int, delimiter: str
) -> tuple[pa.Table, pa.Array]:
    """Lines with embedded line breaks: parsed one by one with the csv module (rare)."""
    rows, errors = [], []
    for text in texts.to_pylist():
        fields = next(
            csv.reader([text], delimiter=delimiter, quotechar='"', doublequote=True), [""]
        )
        if len(fields) != n_columns:
            rows.append([None] * n_columns)
            errors.append(
                f"Column count mismatch on deserialization. expected: {n_columns}, got: {len(fields)}"
            )
        else:
            rows.append(fields)
            errors.append(None)
    table = pa.table(
        {f"f{i}": pa.array([r[i] for r in rows], pa.string()) for i in range(n_columns)}
    )
    return table, pa.array(errors, pa.string())


def _field_text(values: pa.Array, sql_type: SqlType) -> pa.Array:
    """ksqlDB's text of each value of a column (null stays null)."""
    name = sql_type.name
    if name == "DOUBLE":
        return java_doubles(values)
    if name == "TIMESTAMP":
        return values.cast(pa.int64()).cast(pa.string())
    if name == "TIME":
        return pc.divide(values.cast(pa.int64()), 1000).cast(pa.string())
    if name == "DATE":
        return values.cast(pa.int32()).cast(pa.string())
    if name == "BYTES":
        result = duck.run("SELECT to_base64(b) AS t FROM src", src=pa.table({"b": values}))
        return as_array(result.column("t"))
    return values.cast(pa.string())


def _quote(text: pa.Array, delimiter: str, *, first: bool) -> pa.Array:
    special = "[" + "".join("\\" + c for c in {delimiter, '"'}) + "\r\n]"
    rule = f"{special}|^[\\x00-#]|[\\x00- ]$"
    if first:
        rule += "|^[^0-9A-Za-z]|^$"
    needs = pc.fill_null(pc.match_substring_regex(text, rule), False)
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


@dataclass(frozen=True, slots=True)
class DelimitedFormat:
    delimiter: str = ","
    name: str = "DELIMITED"

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None:
        if is_key:
            check_map_keys(columns)
        else:
            check_no_wrapping(self.name, wrap_single)
        for name, sql_type in columns:
            if isinstance(sql_type, _NESTED):
                raise KsqlError(
                    f"The 'DELIMITED' format does not support type '{sql_type.name}', column: `{name}`"
                )

    def decode(self, data: pa.Array, columns: Columns, *, wrap_single: bool | None) -> DecodeResult:
        data = as_array(data)
        n = len(data)
        if not columns:
            return DecodeResult(null_table(n, columns), None)
        try:
            texts = data.cast(pa.string())
        except pa.ArrowInvalid:
            texts = pa.array(
                [None if b is None else b.decode("utf-8", "replace") for b in data.to_pylist()]
            )
        present = pc.is_valid(texts)
        lines = texts.filter(present)
        if len(lines) == 0:  # only tombstones: nothing to parse
            return DecodeResult(null_table(n, columns), None)
        fields, split_errors = _split_lines(lines, len(columns), self.delimiter)
        selects, errors = [], []
        for i, (_, sql_type) in enumerate(columns):
            s = f"f{i}"
            value = f"CASE WHEN {s} <> '' THEN {_parse_sql(sql_type, s)} END"
            selects.append(f"{value} AS c{i}")
            message = (
                f"'Failed to deserialize DELIMITED: cannot parse ''' || {s} || ''' as {sql_type}'"
            )
            errors.append(f"CASE WHEN {s} <> '' AND c{i} IS NULL THEN {message} END")
        inner = ", ".join(selects + [f"f{i}" for i in range(len(columns))])
        outputs = ", ".join(f"c{i}" for i in range(len(columns)))
        sql = f"SELECT {outputs}, coalesce(split_error, {', '.join(errors)}) AS __error FROM (SELECT {inner}, split_error FROM src)"
        parsed = duck.run(sql, src=fields.append_column("split_error", split_errors))
        # Scatter back to the input rows: tombstones get all-null columns and no error.
        index = pc.subtract(pc.cumulative_sum(pc.cast(present, pa.int64())), 1)
        index = pc.if_else(present, index, pa.scalar(None, pa.int64()))
        parsed = parsed.take(index)
        error = as_array(parsed.column("__error")).cast(pa.string())
        failed = pc.is_valid(error)
        any_failed = error.null_count < n
        arrays = []
        for i, (_, sql_type) in enumerate(columns):
            column = as_array(parsed.column(f"c{i}")).cast(sql_type.arrow())
            if any_failed:
                column = pc.if_else(failed, pa.scalar(None, sql_type.arrow()), column)
            arrays.append(column)
        table = pa.table(arrays, names=[name for name, _ in columns])
        return DecodeResult(table, error if any_failed else None)

    def encode(self, table, columns: Columns, *, wrap_single: bool | None) -> pa.BinaryArray:
        if not columns:
            return pa.nulls(table.num_rows, pa.binary())
        texts = []
        for i, (name, sql_type) in enumerate(columns):
            text = _field_text(table_column(table, name), sql_type)
            texts.append(_quote(text, self.delimiter, first=i == 0))
        line = pc.binary_join_element_wise(
            *texts, self.delimiter, null_handling="replace", null_replacement=""
        )
        return line.cast(pa.binary())

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None:
        if value is None:
            return None
        return str(value).encode("utf-8")

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object:
        if data is None:
            return None
        return data.decode("utf-8", "replace")
