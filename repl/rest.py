"""The REST backend: a ksqlDB-compatible server over HTTP (/info, /ksql, /query, /close-query)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from ksql.prepare import PreparedStatement
from repl.backend import BackendError, Event, Final, Header, Names, Row, Text
from repl.print_topic import format_lines

_POSITION = re.compile(r"line (\d+):(\d+)")
_STREAM_TIMEOUT = httpx.Timeout(10.0, read=None)


def _error_from(response: httpx.Response, statement: str | None = None) -> BackendError:
    """The server's error body (generic_error / statement_error) as one BackendError."""
    try:
        body = orjson.loads(response.read())
    except (orjson.JSONDecodeError, httpx.HTTPError):
        body = None
    if isinstance(body, dict) and "errorMessage" in body and isinstance(body["errorMessage"], dict):
        body = body["errorMessage"]
    if isinstance(body, dict) and body.get("message"):
        message = str(body["message"])
        text = body.get("statementText") or statement
        entities = body.get("entities") if isinstance(body.get("entities"), list) else []
        return _with_position(BackendError(message, statement_text=text, entities=entities))
    return BackendError(
        f"The server answered HTTP {response.status_code}", statement_text=statement
    )


def _with_position(error: BackendError) -> BackendError:
    found = _POSITION.search(error.message)
    if found:
        error.line, error.column = int(found.group(1)), int(found.group(2))
    return error


def parse_schema(schema: str) -> tuple[tuple[str, str], ...]:
    """Split a header schema: `A` STRING, `B` DECIMAL(4, 2) KEY -> (A, STRING), (B, ...)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(schema):
        if char == "`":
            quoted = not quoted
        elif not quoted and char in "<(":
            depth += 1
        elif not quoted and char in ">)":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(schema[start:i])
            start = i + 1
    parts.append(schema[start:])
    columns = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if part.startswith("`"):
            end = part.index("`", 1)
            columns.append((part[1:end], part[end + 1 :].strip()))
        else:
            name, _, rest = part.partition(" ")
            columns.append((name, rest.strip()))
    return tuple(columns)


class RestQuery:
    """One streamed /query response, read line by line in either of ksqlDB's formats."""

    def __init__(self, backend: RestBackend, body: dict[str, Any], is_print: bool = False) -> None:
        self.backend = backend
        self.body = body
        self.is_print = is_print
        self._print_columns: list[str] = []
        self._printed = 0
        self.query_id: str | None = None
        self.cancelled = False
        self._response: httpx.Response | None = None

    def events(self) -> Iterator[Event]:
        request = self.backend.client.build_request(
            "POST",
            "/query",
            json=self.body,
            headers={"Accept": "application/json"},
            timeout=_STREAM_TIMEOUT,
        )
        try:
            response = self.backend.client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise self.backend.unreachable(error) from None
        self._response = response
        try:
            if response.status_code != 200:
                raise _error_from(response, self.body.get("ksql"))
            for line in response.iter_lines():
                for event in self._parse(line):
                    yield from self._as_print(event) if self.is_print else (event,)
        except httpx.HTTPError as error:
            if not self.cancelled:
                raise BackendError(f"The query stream broke: {error}") from None
        finally:
            response.close()

    def _parse(self, line: str) -> Iterator[Event]:
        text = line.strip()
        if not text:
            return  # keep-alive
        candidate = text.lstrip("[").rstrip(",").rstrip("]") if text[0] in "[{" else text
        try:
            item = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            try:
                item = orjson.loads(text)
            except orjson.JSONDecodeError:
                yield Text(line.rstrip("\r\n"))  # PRINT output is plain text
                return
        yield from self._item(item)

    def _item(self, item: Any) -> Iterator[Event]:
        if isinstance(item, list):  # a delimited-format row
            yield Row(item)
        elif not isinstance(item, dict):
            yield Text(str(item))
        elif "header" in item:
            header = item["header"]
            self.query_id = header.get("queryId")
            yield Header(self.query_id or "", parse_schema(header.get("schema", "")))
        elif "row" in item:
            row = item["row"] or {}
            yield Row(list(row.get("columns") or []), bool(row.get("tombstone")))
        elif "finalMessage" in item:
            yield Final(str(item["finalMessage"]))
        elif "errorMessage" in item:
            error = item["errorMessage"]
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise _with_position(BackendError(str(message), statement_text=self.body.get("ksql")))
        elif "columnNames" in item:  # delimited-format header
            self.query_id = item.get("queryId")
            names = item.get("columnNames") or []
            types = item.get("columnTypes") or [""] * len(names)
            yield Header(self.query_id or "", tuple(zip(names, types, strict=False)))
        elif item.get("@type") in ("generic_error", "statement_error"):
            raise _with_position(
                BackendError(str(item.get("message")), statement_text=self.body.get("ksql"))
            )

    def _as_print(self, event: Event) -> Iterator[Event]:
        """PRINT answered as rows (ROWTIME, PARTITION, KEY, VALUE) -> ksqlDB's PRINT lines."""
        if isinstance(event, Header):
            self._print_columns = [name.upper() for name, _ in event.columns]
            return
        wanted = ("ROWTIME", "PARTITION", "KEY", "VALUE")
        if not isinstance(event, Row) or not set(wanted) <= set(self._print_columns):
            yield event
            return
        record = dict(zip(self._print_columns, event.values, strict=False))
        key, value = (
            None if record[k] is None else str(record[k]).encode("utf-8") for k in ("KEY", "VALUE")
        )
        self._printed += 1
        stamp, partition = int(record["ROWTIME"] or 0), int(record["PARTITION"] or 0)
        for line in format_lines(stamp, key, value, partition, self._printed == 1):
            yield Text(line)

    def cancel(self) -> None:
        """Stop the query on the server (ksqlDB's CLI closes the stream; we also ask politely)."""
        self.cancelled = True
        if self.query_id:
            try:
                self.backend.client.post(
                    "/close-query", json={"queryId": self.query_id}, timeout=2.0
                )
            except httpx.HTTPError:
                pass
        if self._response is not None:
            self._response.close()


class RestBackend:
    """Statements go to /ksql; SELECT and PRINT stream from /query."""

    def __init__(
        self, url: str, timeout_s: float = 30.0, auth: tuple[str, str] | None = None
    ) -> None:
        self.location = url.rstrip("/")
        self.auth = auth
        self.client = httpx.Client(base_url=self.location, timeout=timeout_s, auth=auth)

    def unreachable(self, error: Exception) -> BackendError:
        return BackendError(f"Could not reach the server at {self.location}: {error}")

    def info(self) -> dict[str, Any]:
        try:
            response = self.client.get("/info")
        except httpx.HTTPError as error:
            raise self.unreachable(error) from None
        if response.status_code != 200:
            raise _error_from(response)
        body = response.json()
        return body.get("KsqlServerInfo", body)

    def execute(
        self,
        sql: str,
        properties: dict[str, str],
        variables: dict[str, str],
        prepared: list[PreparedStatement] | None = None,
    ) -> list[dict[str, Any]]:
        """`prepared` is not used: the server parses the text it is sent."""
        body = {"ksql": sql, "streamsProperties": properties, "sessionVariables": variables}
        try:
            response = self.client.post("/ksql", json=body)
        except httpx.HTTPError as error:
            raise self.unreachable(error) from None
        if response.status_code != 200:
            raise _error_from(response, sql)
        entities = response.json()
        for index, entity in enumerate(entities):
            status = entity.get("commandStatus") or {}
            if status.get("status") == "ERROR":
                raise BackendError(
                    str(status.get("message")),
                    statement_text=entity.get("statementText"),
                    entities=entities[:index],
                )
        return entities

    def query(
        self,
        sql: str,
        properties: dict[str, str],
        variables: dict[str, str],
        prepared: PreparedStatement | None = None,
    ) -> RestQuery:
        body = {"ksql": sql, "streamsProperties": properties, "sessionVariables": variables}
        return RestQuery(self, body, is_print=sql.lstrip().upper().startswith("PRINT"))

    def names(self) -> Names:
        names = Names()
        try:  # completion must never hang the prompt on a server that is not there
            self.client.get("/info", timeout=2.0)
        except httpx.HTTPError:
            return names
        for entity in self._quiet("SHOW STREAMS; SHOW TABLES;"):
            for s in entity.get("streams") or entity.get("tables") or []:
                names.sources[s["name"]] = s.get("type", "STREAM")
        for name in names.sources:
            for entity in self._quiet(f"DESCRIBE `{name}`;"):
                fields = (entity.get("sourceDescription") or {}).get("fields") or []
                names.columns[name] = [f["name"] for f in fields]
        for entity in self._quiet("SHOW FUNCTIONS;"):
            names.functions = [f["name"] for f in entity.get("functions") or []]
        for entity in self._quiet("SHOW PROPERTIES;"):
            names.properties = [p["name"] for p in entity.get("properties") or []]
        for entity in self._quiet("SHOW TOPICS;"):
            names.topics = [t["name"] for t in entity.get("topics") or []]
        return names

    def _quiet(self, sql: str) -> list[dict[str, Any]]:
        """Entities of a metadata statement, or none if it fails (completion must not break)."""
        try:
            return self.execute(sql, {}, {})
        except BackendError:
            return []

    def close(self) -> None:
        self.client.close()
