"""The three query response formats: v1 JSON, delimited lines, and a JSON array."""

from __future__ import annotations

from typing import Any

from ksql.results import QueryColumn, TombstoneRow
from server.encoding import dumps, row_values
from server.negotiate import DELIMITED, JSON, V1_JSON


def schema_text(columns: tuple[QueryColumn, ...], is_pull: bool) -> str:
    """`A` INTEGER, `B` STRING KEY: pull headers mark key columns, push headers do not."""
    parts = []
    for c in columns:
        suffix = " KEY" if is_pull and c.is_key else ""
        parts.append(f"`{c.name}` {c.type}{suffix}")
    return ", ".join(parts)


class ResponseFormat:
    """Turns a query's header, rows and ending into the bytes of one response."""

    media_type = DELIMITED
    buffers_pull = False  # v1 JSON must know the last row to close the array
    # Formats with the same key encode a push query's rows (after the header) to the same
    # bytes, so a shared query encodes each row once for all their subscribers.
    shared_key = ""

    def header(self, query_id: str, columns: tuple[QueryColumn, ...], is_pull: bool) -> bytes:
        raise NotImplementedError

    def row(self, values: list[Any]) -> bytes:
        raise NotImplementedError

    def push_row(self, values: list[Any]) -> bytes:
        """A push query's row once the header is out: depends on the values only."""
        return self.row(values)

    def last_row(self, values: list[Any]) -> bytes:
        return self.row(values)

    def end(self, final_message: str | None) -> bytes:
        raise NotImplementedError

    def error(self, body: dict[str, Any]) -> bytes:
        raise NotImplementedError


class Delimited(ResponseFormat):
    """One JSON document per line: the header object, then one array per row."""

    media_type = DELIMITED
    shared_key = "delimited"

    def header(self, query_id, columns, is_pull):
        return dumps(_header_object(query_id, columns)) + b"\n"

    def row(self, values):
        if isinstance(values, TombstoneRow):
            return b""  # the delimited format drops tombstones
        return dumps(row_values(values)) + b"\n"

    def end(self, final_message):
        return b""

    def error(self, body):
        return dumps(body) + b"\n"


class JsonArray(ResponseFormat):
    """`[{header},[row],[row]]` with no newlines (/query-stream with application/json)."""

    media_type = JSON
    shared_key = "json-array"

    def header(self, query_id, columns, is_pull):
        return b"[" + dumps(_header_object(query_id, columns))

    def row(self, values):
        if isinstance(values, TombstoneRow):
            return b""
        return b"," + dumps(row_values(values))

    def end(self, final_message):
        return b"]"

    def error(self, body):
        return b"," + dumps(body) + b"]"


class V1Json(ResponseFormat):
    """ksqlDB's v1 streamed array: one element per line, separated by `,\\n`."""

    media_type = V1_JSON
    buffers_pull = True
    shared_key = "v1"

    def __init__(self, media_type: str = V1_JSON) -> None:
        self.media_type = media_type
        self._rows = 0

    def header(self, query_id, columns, is_pull):
        header = {"queryId": query_id, "schema": schema_text(columns, is_pull)}
        self._header = b"[" + dumps({"header": header})
        if is_pull:
            return b""  # written with the first row or the end, which decide the separator
        return self._prefix()

    def _prefix(self) -> bytes:
        if self._rows == 0:
            self._rows = 1
            return self._header + b",\n"
        return b""

    def row(self, values):
        return self._prefix() + self.push_row(values)

    def push_row(self, values):
        return dumps(_v1_row(values)) + b",\n"

    def last_row(self, values):
        return self._prefix() + dumps(_v1_row(values)) + b"]\n"

    def end(self, final_message):
        if final_message is None:
            return self._header + b"]\n" if self._rows == 0 else b""
        return self._prefix() + dumps({"finalMessage": final_message}) + b"]\n"

    def error(self, body):
        return self._prefix() + dumps({"errorMessage": body}) + b"]\n"


def _v1_row(values: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"columns": row_values(values)}
    if isinstance(values, TombstoneRow):
        row["tombstone"] = True
    return {"row": row}


def _header_object(query_id: str, columns: tuple[QueryColumn, ...]) -> dict[str, Any]:
    return {
        "queryId": query_id,
        "columnNames": [c.name for c in columns],
        "columnTypes": [c.type for c in columns],
    }


def make_format(media_type: str, endpoint: str) -> ResponseFormat:
    if media_type == DELIMITED:
        return Delimited()
    if media_type == JSON and endpoint == "query-stream":
        return JsonArray()
    return V1Json(media_type)
