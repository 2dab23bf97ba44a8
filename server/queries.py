"""POST /query and /query-stream: one SELECT or PRINT, streamed one flushed line per row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ksql import ast
from ksql.errors import KsqlError
from ksql.prepare import PreparedStatement, split_request
from ksql.results import RowsResult
from server import errors, pull_forward
from server.fanout import Subscriber
from server.formats import ResponseFormat, make_format
from server.negotiate import QUERY_PRODUCES, QUERY_STREAM_PRODUCES, V1_JSON, negotiate
from server.printing import print_stream
from server.pump import QueryFailed, RowPump
from server.requests import optional_map, read_json, request_properties, required_str
from server.state import ServerState

_NO_BUFFERING = {"X-Accel-Buffering": "no"}
# A connection this many rows behind, or a batch this large, goes out in one message instead
# of one per row (clients that need a row per chunk see that at ordinary rates).
COALESCE_BACKLOG = 100
COALESCE_BATCH = 32
# How far a subscriber of a shared push query may fall behind by default (a few seconds of a
# busy stream): its queue holds references to bytes every subscriber shares.
SHARED_CAPACITY_ROWS = 50_000


def prepare_query(state: ServerState, sql: str, variables: dict[str, Any]) -> PreparedStatement:
    """The one SELECT or PRINT of a /query request, parsed once for everything that follows;
    an ApiError when the request holds another number of statements, or another kind."""
    sources = split_request(sql)
    if len(sources) != 1:
        raise _not_one_statement(len(sources), sql)
    text = sources[0].text.strip()
    try:
        prepared = state.engine.prepare(sources, {k: str(v) for k, v in variables.items()})
    except KsqlError as error:
        raise errors.from_ksql_error(error, text, []) from None
    if len(prepared) != 1:  # a variable's value held a `;`
        raise _not_one_statement(len(prepared), sql)
    statement = prepared[0].statement
    if not isinstance(statement, ast.QueryStatement | ast.PrintTopic):
        raise errors.ApiError(
            400,
            errors.statement_error(
                "The following statement types should be issued to the /ksql endpoint: "
                f"{type(statement).__name__}",
                text,
            ),
        )
    return prepared[0]


def _not_one_statement(count: int, sql: str) -> errors.ApiError:
    return errors.ApiError(
        400, errors.statement_error(f"Expected exactly one statement, got {count}", sql.strip())
    )


def share_key(
    state: ServerState,
    prepared: PreparedStatement,
    sql: str,
    properties: dict[str, Any],
    variables: dict[str, Any],
) -> tuple | None:
    """The key under which identical push queries share one run; None when not shareable
    (pull queries, PRINT, LIMIT, variables, reading from the earliest offset)."""
    if not isinstance(prepared.statement, ast.QueryStatement):
        return None
    query = prepared.statement.query
    if query.emit is None or query.limit is not None or "${" in sql:
        return None
    props = {k: str(v) for k, v in properties.items()}
    defaults = state.engine.properties
    reset = props.get(
        "auto.offset.reset",
        props.get("ksql.streams.auto.offset.reset", defaults.get("auto.offset.reset", "latest")),
    )
    if str(reset).lower() != "latest":
        return None
    return (" ".join(sql.split()), tuple(sorted(props.items())), tuple(sorted(variables.items())))


async def handle_query(request: Request, state: ServerState, endpoint: str) -> Response:
    """`endpoint` is "query" (old API, KsqlRequest) or "query-stream" (QueryStreamArgs)."""
    if endpoint == "query":
        media = negotiate(request.headers.get("accept"), QUERY_PRODUCES, V1_JSON)
    else:
        media = negotiate(
            request.headers.get("accept"), QUERY_STREAM_PRODUCES, QUERY_STREAM_PRODUCES[0]
        )
    if media is None:
        return Response(status_code=406)
    body = await read_json(request, state.config.max_request_bytes)
    if endpoint == "query":
        sql = required_str(body, "ksql")
        properties = request_properties(body, "streamsProperties")
    else:
        sql = required_str(body, "sql")
        properties = request_properties(body, "properties")
    variables = optional_map(body, "sessionVariables")
    prepared = prepare_query(state, sql, variables)
    if getattr(state.engine, "cluster", None) is not None and not pull_forward.is_forwarded(
        request
    ):
        # Cluster mode: a key lookup goes to the server that owns the key's partition.
        forwarded = await _forward_pull(request, state, body, prepared, properties)
        if forwarded is not None:
            return forwarded
    http2 = request.scope.get("http_version") == "2"
    key = share_key(state, prepared, sql, properties, variables)
    shared = await state.fanout.running(key) if key is not None else None
    if shared is not None:
        fmt = make_format(media, endpoint)
        pump: Any = shared.subscribe(fmt, _shared_capacity(state))
        state.queries.add(pump)
        return StreamingResponse(
            _stream(state, pump, fmt, http2), media_type=fmt.media_type, headers=_NO_BUFFERING
        )
    starting = state.fanout.starting(key) if key is not None else None
    try:
        result, is_print = await run_in_threadpool(_start_query, state, prepared, properties)
    except BaseException:
        if starting is not None:
            state.fanout.started(key, starting, None)
        raise
    if key is not None and not result.is_pull and not is_print:
        shared = state.fanout.add(key, result)
        pump = shared.subscribe(make_format(media, endpoint), _shared_capacity(state))
        shared.start()
        state.fanout.started(key, starting, shared)
    else:
        if starting is not None:
            state.fanout.started(key, starting, None)
        pump = RowPump(result, state.config.push_capacity)
    if is_print:  # the topic's records as text lines
        return StreamingResponse(print_stream(pump), media_type="text/plain")
    fmt = make_format(media, endpoint)
    headers = _NO_BUFFERING
    if not result.is_pull:
        state.queries.add(pump)
    elif state.engine.in_cluster:
        headers = {**headers, pull_forward.HOST_HEADER: state.engine.cluster_url}  # who answered
    return StreamingResponse(
        _stream(state, pump, fmt, http2), media_type=fmt.media_type, headers=headers
    )


async def _forward_pull(
    request: Request,
    state: ServerState,
    body: dict[str, Any],
    prepared: PreparedStatement,
    properties: dict[str, Any],
) -> Response | None:
    """The owner's answer to a pull query on a key it owns, or None to answer it here."""
    target = await run_in_threadpool(
        pull_forward.route, state, prepared, properties, optional_map(body, "requestProperties")
    )
    if target is None:
        return None
    return await pull_forward.forward(
        request, target, body, pull_forward.timeout_s(state, properties)
    )


def _shared_capacity(state: ServerState) -> int:
    """Rows a subscriber of a shared query may fall behind: `ksql.server.push.buffer.rows` when
    set; else more than a query of its own gets, as subscribers share the queued bytes."""
    if "ksql.server.push.buffer.rows" in state.config.properties:
        return state.config.push_capacity
    return max(state.config.push_capacity, SHARED_CAPACITY_ROWS)


def _start_query(
    state: ServerState, prepared: PreparedStatement, properties: dict[str, Any]
) -> tuple[RowsResult, bool]:
    """The query's rows, and whether it is a PRINT."""
    text = prepared.source.text.strip()
    engine = state.engine
    try:
        result = engine.execute_prepared(prepared, engine.session(properties))
    except KsqlError as error:
        raise errors.from_ksql_error(error, text, []) from None
    except Exception as exc:  # noqa: BLE001 - logged; a fixed message goes out
        raise errors.internal(exc, text) from None
    if not isinstance(result, RowsResult):
        raise errors.internal(TypeError(f"query gave {type(result).__name__}"), text)
    is_print = isinstance(prepared.statement, ast.PrintTopic)
    if is_print:
        result.is_pull = True
    return result, is_print


async def _stream(
    state: ServerState, pump: RowPump, fmt: ResponseFormat, http2: bool
) -> AsyncIterator[bytes]:
    """The response body, one element per message. Over HTTP/2 each message gets its own DATA
    frame: Hypercorn coalesces a stream's pending bytes, and clients (ksql-python-ng) read one
    row per frame, so the sender is given a turn before the next row."""
    result = pump.result
    try:
        first = fmt.header(result.query_id, result.columns, result.is_pull)
        if first:
            yield first
            if http2:
                await _let_sender_run()
        message = result.completion_message
        if message is None and not result.is_pull:
            message = "Limit Reached"  # a push query ends on its own only at its LIMIT
        if result.is_pull and fmt.buffers_pull and message is None:
            # v1 JSON closes the array on the last row: a table's rows are read in one go.
            rows = [row async for row in pump]
            for index, row in enumerate(rows):
                yield fmt.last_row(row) if index == len(rows) - 1 else fmt.row(row)
                if http2:
                    await _let_sender_run()
            if not rows:
                yield fmt.end(None)
            return
        if isinstance(pump, Subscriber):
            async for chunk in _shared_messages(pump, fmt, http2):
                yield chunk
                if http2:
                    await _let_sender_run()
            return  # a shared query has no LIMIT: it ends only when closed
        async for batch in pump.batches():
            lines = [line for line in map(fmt.row, batch) if line]
            if len(lines) >= COALESCE_BATCH or (
                len(lines) > 1 and pump.backlog >= COALESCE_BACKLOG
            ):
                # Behind: the waiting rows go out together. Keeping up: one line per message.
                yield b"".join(lines)
                continue
            for line in lines:
                yield line
                if http2:
                    await _let_sender_run()
        if pump.completed:
            ending = fmt.end(message)
            if ending:
                yield ending
    except QueryFailed as failure:
        yield fmt.error(errors.generic(errors.SERVER_ERROR, failure.message))
    finally:
        pump.close()
        state.queries.remove(result.query_id)


async def _shared_messages(
    subscriber: Subscriber, fmt: ResponseFormat, http2: bool
) -> AsyncIterator[bytes]:
    """A shared query's rows as messages of bytes encoded once for every subscriber.

    Over HTTP/1.1 everything queued for the client goes out in one write: one row per write
    while rows arrive one at a time, all the waiting rows together once the client is behind.
    Over HTTP/2 a message is a DATA frame a client may read as one row, so rows go one per
    message unless a batch is large or the client is behind (as for a query of its own).
    """
    async for taken in subscriber.takes():
        if not http2:
            message = (
                taken[0].joined(fmt)
                if len(taken) == 1
                else b"".join(batch.joined(fmt) for batch in taken)
            )
            if message:
                yield message
            continue
        waiting = subscriber.backlog - sum(batch.count for batch in taken)
        for batch in taken:
            lines = batch.lines(fmt)
            if len(lines) >= COALESCE_BATCH or (
                len(lines) > 1 and (waiting >= COALESCE_BACKLOG or len(taken) > 1)
            ):
                yield batch.joined(fmt)
            else:
                for line in lines:
                    yield line


async def _let_sender_run() -> None:
    for _ in range(3):
        await asyncio.sleep(0)
