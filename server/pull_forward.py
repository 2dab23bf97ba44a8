"""Cluster mode: a pull query for one key is answered by the server that owns its partition.

A pull query `SELECT ... FROM <table> WHERE <key> = <literal> [AND ...]` on a table written by
one persistent query is routed like this (ksqlDB routes key lookups to the active host):

- Steps 1 and 2: the key's partition of the topic the query's partitions are leased by, and
  the live member that owns that partition (`Engine.key_owner`, ksql/cluster/key_owner.py).
- Step 3: when the owner is another server, the request goes there over HTTP with the header
  `X-Ksql-Forwarded: 1` (the receiver answers locally and never forwards again), and the
  owner's response (status, content type, body as it streams) is relayed unchanged.

Every pull query answered in cluster mode carries `X-Ksql-Pull-Host: <URL of the server that
answered>`, and the forwarding server logs `pull query forwarded to <URL> ...` at INFO.

Answered locally instead (every server materializes the whole table, so the answer exists
here too): table scans and anything but literal equality on every key column, the request
property `request.ksql.query.pull.skip.forwarding=true`, no live owner known (a handover), and
an owner that does not answer within `ksql.query.pull.forwarding.timeout.ms` (default 2000) or
answers with a server error. A pull query never fails because a peer is down.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from fastapi import Request
from fastapi.responses import StreamingResponse

from ksql import ast
from ksql.prepare import PreparedStatement

_log = logging.getLogger("ksql.server.pull")

FORWARDED_HEADER = "X-Ksql-Forwarded"
HOST_HEADER = "X-Ksql-Pull-Host"
# ksqlDB's request property (KsqlRequestConfig) that answers a pull query on the server asked.
SKIP_FORWARDING = "request.ksql.query.pull.skip.forwarding"
TIMEOUT_PROPERTY = "ksql.query.pull.forwarding.timeout.ms"
TIMEOUT_MS = 2000
BODY_READ_TIMEOUT_S = 60.0
# Hop-by-hop and framing headers of the owner's response that this server sets itself.
_DROPPED = {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}


@dataclass(frozen=True, slots=True)
class Route:
    """Where a pull query goes: the owner's URL, and why (for the log)."""

    url: str
    query_id: str
    topic: str
    partition: int


def is_forwarded(request: Request) -> bool:
    return request.headers.get(FORWARDED_HEADER, "") not in ("", "0", "false")


def route(
    state: Any,
    prepared: PreparedStatement,
    properties: dict[str, Any],
    request_properties: dict[str, Any],
) -> Route | None:
    """The owner to forward this request to, or None to answer it here (blocking: it may read
    the heartbeat topic, so it runs off the event loop)."""
    engine = state.engine
    if not engine.in_cluster:
        return None
    skip = request_properties.get(SKIP_FORWARDING, properties.get(SKIP_FORWARDING, False))
    if str(skip).lower() == "true":
        return None
    lookup = _key_lookup(engine, prepared)
    if lookup is None:
        return None  # not a key lookup: every server has the whole table
    table, values = lookup
    owner = engine.key_owner(table, values)
    if owner is None:
        return None
    if owner.url is None:
        _log.info(
            "pull query: no live owner of partition %d of %s (query %s); answering locally",
            owner.partition, owner.topic, owner.query_id,
        )  # fmt: skip
        return None
    if owner.is_self or not owner.url.startswith(("http://", "https://")):
        return None
    return Route(owner.url.rstrip("/"), owner.query_id, owner.topic, owner.partition)


def _key_lookup(engine: Any, prepared: PreparedStatement):
    """(table, key column -> literal value) when the statement is a pull query on a TABLE
    whose WHERE pins every key column to a literal with `=` (ANDed with anything else)."""
    if not isinstance(prepared.statement, ast.QueryStatement):
        return None
    query = prepared.statement.query
    if query.emit is not None or not isinstance(query.from_, ast.SourceRef) or query.where is None:
        return None
    table = engine.source(query.from_.name)
    if table is None or not table.is_table or not table.key_columns:
        return None
    keys = {c.name for c in table.key_columns}
    values: dict[str, Any] = {}
    for conjunct in _conjuncts(query.where):
        if not isinstance(conjunct, ast.Comparison) or conjunct.op != "=":
            continue
        for column, other in ((conjunct.left, conjunct.right), (conjunct.right, conjunct.left)):
            if (
                isinstance(column, ast.ColumnRef)
                and column.name in keys
                and isinstance(other, ast.Literal)
                and other.kind != "NULL"
            ):
                if column.name in values and values[column.name] != other.value:
                    return None  # contradictory: leave the (empty) answer to the engine
                values[column.name] = other.value
    if set(values) != keys:
        return None
    return table, values


def _conjuncts(expr: ast.Expr) -> list[ast.Expr]:
    if isinstance(expr, ast.And):
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def timeout_s(state: Any, properties: dict[str, Any]) -> float:
    raw = properties.get(TIMEOUT_PROPERTY, state.engine.properties.get(TIMEOUT_PROPERTY))
    try:
        return max(0.05, int(raw) / 1000.0) if raw is not None else TIMEOUT_MS / 1000.0
    except (TypeError, ValueError):
        return TIMEOUT_MS / 1000.0


# One HTTP client per event loop (tests run several loops in one process).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = httpx.AsyncClient(trust_env=False)
        _clients[loop] = client
    return client


async def forward(
    request: Request, target: Route, body: dict[str, Any], wait_s: float
) -> StreamingResponse | None:
    """The owner's response, streamed back as it comes; None (logged) when the owner did not
    start answering within `wait_s` seconds or answered with a server error."""
    headers = {FORWARDED_HEADER: "1", "content-type": "application/json"}
    for name in ("accept", "authorization"):
        if name in request.headers:
            headers[name] = request.headers[name]
    url = target.url + request.url.path
    timeout = httpx.Timeout(BODY_READ_TIMEOUT_S, connect=wait_s, pool=wait_s)
    client = _client()
    outgoing = client.build_request(
        "POST", url, content=orjson.dumps(body), headers=headers, timeout=timeout
    )
    try:
        response = await asyncio.wait_for(client.send(outgoing, stream=True), wait_s)
    except (TimeoutError, httpx.HTTPError, OSError) as error:
        _log.warning(
            "pull query: owner %s of partition %d of %s unreachable (%s); answering locally",
            target.url, target.partition, target.topic, type(error).__name__ + _detail(error),
        )  # fmt: skip
        return None
    if response.status_code >= 500:
        await response.aclose()
        _log.warning(
            "pull query: owner %s answered %d; answering locally",
            target.url, response.status_code,
        )  # fmt: skip
        return None
    _log.info(
        "pull query forwarded to %s (partition %d of %s, query %s)",
        target.url, target.partition, target.topic, target.query_id,
    )  # fmt: skip
    passed = {k: v for k, v in response.headers.items() if k.lower() not in _DROPPED}
    passed.setdefault(HOST_HEADER.lower(), target.url)  # the owner names itself

    async def relay():
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError as error:  # the owner went away mid-response: end it here
            _log.warning("pull query: owner %s stopped mid-response (%s)", target.url, error)
        finally:
            await response.aclose()

    return StreamingResponse(relay(), status_code=response.status_code, headers=passed)


def _detail(error: BaseException) -> str:
    text = str(error)
    return f": {text}" if text else ""
