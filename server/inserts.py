"""POST /inserts-stream: full duplex, a raw ASGI handler (a Starlette response would race the
request body with its disconnect listener). First line {"target": ...}, then one JSON row per
line; one ack line per row as soon as it is written.

The request body is read on its own task while rows are written, so rows that arrive during a
write go into the next one together (a write has a fixed cost: a producer sending small pieces
fast would otherwise pay it per piece); the acks of one write go out in one message.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import anyio.to_thread
import orjson

from ksql.errors import KsqlError
from server import errors
from server.encoding import dumps
from server.state import ServerState

DELIMITED = b"application/vnd.ksqlapi.delimited.v1"


class _Response:
    """The response side: starts lazily, then one line per message."""

    def __init__(self, send: Any) -> None:
        self.send = send
        self.started = False

    async def start(self) -> None:
        if not self.started:
            self.started = True
            headers = [(b"content-type", DELIMITED)]
            await self.send({"type": "http.response.start", "status": 200, "headers": headers})

    async def line(self, body: dict[str, Any], more: bool = True) -> None:
        await self.send(
            {"type": "http.response.body", "body": dumps(body) + b"\n", "more_body": more}
        )

    async def acks(self, first_seq: int, count: int) -> None:
        """The ok lines of `count` rows written together, in one message."""
        body = b"".join(dumps({"status": "ok", "seq": first_seq + i}) + b"\n" for i in range(count))
        await self.send({"type": "http.response.body", "body": body, "more_body": True})

    async def fail(self, status: int, body: dict[str, Any]) -> None:
        """A request-level error: a JSON error response, or a last line once streaming."""
        if self.started:
            await self.line(body, more=False)
            return
        self.started = True
        headers = [(b"content-type", b"application/json")]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": dumps(body), "more_body": False})

    async def end(self) -> None:
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})


def _row_error(seq: int, message: str) -> dict[str, Any]:
    return {
        "@type": "generic_error",
        "status": "error",
        "seq": seq,
        "error_code": errors.BAD_REQUEST,
        "message": message,
    }


def _insert(engine: Any, target: str, rows: list[dict[str, Any]]) -> tuple[int, str | None]:
    """Insert rows in order; (rows written, the error of the first failing row or None)."""
    try:
        engine.insert_rows(target, rows)
        return len(rows), None
    except KsqlError:
        pass  # find the failing row: write the good ones before it, one by one
    for index, row in enumerate(rows):
        try:
            engine.insert_rows(target, [row])
        except KsqlError as error:
            return index, error.message
    return len(rows), None


QUEUE_BYTES = 4 << 20  # request bytes read ahead of the writes at most


class _Body:
    """The request's messages, received on a task so that they queue up during a write."""

    def __init__(self, receive: Any) -> None:
        self._receive = receive
        self._queue: deque[dict[str, Any]] = deque()
        self._queued = 0  # bytes received and not yet taken
        self._arrived = asyncio.Event()
        self._taken = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while True:
            # Bounded: past QUEUE_BYTES the client waits (TCP back-pressure), as before.
            while self._queued > QUEUE_BYTES:
                self._taken.clear()
                await self._taken.wait()
            message = await self._receive()
            self._queue.append(message)
            self._queued += len(message.get("body", b""))
            self._arrived.set()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return

    async def next(self, limit: int) -> dict[str, Any]:
        """The body received since the last call (at most `limit` bytes unless one message is
        larger) as one message; a disconnect as itself."""
        while not self._queue:
            self._arrived.clear()
            await self._arrived.wait()
        message = self._queue.popleft()
        parts = [message.get("body", b"")]
        size = len(parts[0])
        self._queued -= size
        while (
            message["type"] == "http.request"
            and message.get("more_body", False)
            and self._queue
            and self._queue[0]["type"] == "http.request"
            and size + len(self._queue[0].get("body", b"")) <= limit
        ):
            message = self._queue.popleft()
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            self._queued -= len(parts[-1])
        self._taken.set()
        if len(parts) == 1:
            return message
        return {**message, "body": b"".join(parts)}

    def close(self) -> None:
        self._task.cancel()


async def inserts_stream(scope: dict, receive: Any, send: Any, state: ServerState) -> None:
    body = _Body(receive)
    try:
        await _inserts(body, send, state)
    finally:
        body.close()


async def _inserts(body: _Body, send: Any, state: ServerState) -> None:
    response = _Response(send)
    target: str | None = None
    seq = 0
    pending = b""
    limit = state.config.max_request_bytes
    while True:
        message = await body.next(limit)
        if message["type"] == "http.disconnect":
            return
        pending += message.get("body", b"")
        more = message.get("more_body", False)
        *lines, pending = pending.split(b"\n")
        if len(pending) > limit or max(map(len, lines), default=0) > limit:
            await response.fail(413, errors.generic(41300, f"A line is longer than {limit} bytes"))
            return
        if not more:
            lines.append(pending)
            pending = b""
        rows: list[dict[str, Any]] = []
        bad: str | None = None
        for line in lines:
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                value, bad = None, f"Invalid JSON in request: {error}"
            if target is None:
                if bad is not None or not isinstance(value, dict) or "target" not in value:
                    message_text = bad or (
                        "Invalid JSON in request: Missing required creator property 'target'"
                    )
                    await response.fail(400, errors.generic(errors.BAD_REQUEST, message_text))
                    return
                name = str(value["target"])
                source = state.engine.source(name.upper()) or state.engine.source(name)
                if source is None:
                    await response.fail(
                        400,
                        errors.generic(
                            errors.BAD_REQUEST,
                            f"Cannot insert values into an unknown stream/table: {name}",
                        ),
                    )
                    return
                target = source.name
                await response.start()
                continue
            if bad is None and not isinstance(value, dict):
                bad = "Invalid JSON in request: a row must be a JSON object"
            if bad is not None:
                break
            rows.append(value)
        if target is not None and rows:
            written, error = await anyio.to_thread.run_sync(_insert, state.engine, target, rows)
            if written:
                await response.acks(seq, written)
            seq += written
            if error is not None:
                await response.line(_row_error(seq, error), more=False)
                return
        if bad is not None:
            await response.line(_row_error(seq, bad), more=False)
            return
        if not more:
            break
    if target is None:
        await response.fail(
            400,
            errors.generic(
                errors.BAD_REQUEST,
                "Invalid JSON in request: Missing required creator property 'target'",
            ),
        )
        return
    await response.end()
