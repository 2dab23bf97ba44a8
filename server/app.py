"""The ASGI application: FastAPI routes for ksqlDB's REST API over one ServerState."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import errors, status, terminate, topics
from server.auth import BasicAuth
from server.connect_api import mount_connect_api
from server.inserts import inserts_stream
from server.queries import handle_query
from server.requests import optional_map, read_json, request_properties, required_str
from server.state import ServerState
from server.statements import run_statements
from server.tuning import tune_runtime

_log = logging.getLogger("ksql.server")

# Where the schema registry's API is on the server's port: Confluent's clients take a registry
# URL with a path (`http://host:8088/schema-registry`).
REGISTRY_PATH = "/schema-registry"


def create_app(state: ServerState) -> Any:
    """FastAPI for the request/response routes; /inserts-stream is raw ASGI (full duplex)."""
    tune_runtime()
    api = FastAPI(title="ksql-server", docs_url=None, redoc_url=None, openapi_url=None)
    api.state.server = state
    _routes(api, state)
    mount_connect_api(api, state.engine)
    _handlers(api)
    # The built-in schema registry under a path of this port (behind this server's auth).
    registry = state.engine.registry_app()

    async def app(scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if registry is not None and (
            path == REGISTRY_PATH or path.startswith(REGISTRY_PATH + "/")
        ):
            inner = dict(scope, path=path[len(REGISTRY_PATH) :] or "/")
            inner["root_path"] = scope.get("root_path", "") + REGISTRY_PATH
            inner["raw_path"] = inner["path"].encode()
            await registry(inner, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/inserts-stream":
            if scope["method"] != "POST":
                await api(scope, receive, send)
                return
            await inserts_stream(scope, receive, send, state)
            return
        await api(scope, receive, send)

    if state.config.users is not None:
        config = state.config
        return BasicAuth(app, config.users, config.auth_realm, config.auth_skip_paths)
    return app


def _handlers(api: FastAPI) -> None:
    @api.exception_handler(errors.ApiError)
    async def api_error(request: Request, exc: errors.ApiError) -> Response:
        return errors.error_response(exc)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return PlainTextResponse("Not Found", status_code=404)
        if exc.status_code == 405:
            return errors.json_response(405, errors.generic(40500, "Method Not Allowed"))
        return errors.json_response(
            exc.status_code, errors.generic(exc.status_code * 100, str(exc.detail))
        )

    @api.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return errors.json_response(400, errors.generic(errors.BAD_REQUEST, "Invalid request"))

    @api.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return errors.error_response(errors.internal(exc, request.url.path))


def _routes(api: FastAPI, state: ServerState) -> None:
    limit = state.config.max_request_bytes

    @api.get("/")
    async def root() -> Response:
        return RedirectResponse("/info", status_code=307)

    @api.post("/ksql")
    async def ksql(request: Request) -> Response:
        body = await read_json(request, limit)
        sql = required_str(body, "ksql")
        properties = request_properties(body, "streamsProperties")
        variables = optional_map(body, "sessionVariables")
        await _wait_for_sequence(state, body.get("commandSequenceNumber"))
        entities = await run_in_threadpool(run_statements, state, sql, properties, variables)
        return errors.json_response(200, entities)

    @api.post("/query")
    async def query(request: Request) -> Response:
        return await handle_query(request, state, "query")

    @api.post("/query-stream")
    async def query_stream(request: Request) -> Response:
        return await handle_query(request, state, "query-stream")

    @api.post("/close-query")
    async def close_query(request: Request) -> Response:
        body = await read_json(request, limit)
        query_id = required_str(body, "queryId")
        if not state.queries.close(query_id):
            raise errors.ApiError(
                400, errors.generic(errors.BAD_REQUEST, f"No query with id {query_id}")
            )
        return Response(status_code=200)

    @api.post("/ksql/terminate")
    async def terminate_cluster(request: Request) -> Response:
        body = await read_json(request, limit)
        patterns = terminate.delete_topic_patterns(body)
        entity = await run_in_threadpool(terminate.terminate_cluster, state, patterns)
        return errors.json_response(200, [entity])

    @api.get("/info")
    async def info() -> Response:
        return errors.json_response(200, status.info(state))

    @api.get("/healthcheck")
    async def healthcheck() -> Response:
        return errors.json_response(200, status.healthcheck(state))

    @api.get("/status")
    async def statuses() -> Response:
        return errors.json_response(200, status.command_statuses(state))

    @api.get("/status/{kind}/{entity}/{action}")
    async def command_status(kind: str, entity: str, action: str) -> Response:
        return errors.json_response(200, status.command_status(state, f"{kind}/{entity}/{action}"))

    @api.get("/clusterStatus")
    async def cluster_status() -> Response:
        # Cluster mode reads the members' heartbeats from Kafka: off the event loop.
        return errors.json_response(200, await run_in_threadpool(status.cluster_status, state))

    @api.get("/is_valid_property/{name}")
    async def is_valid_property(name: str) -> Response:
        return errors.json_response(200, status.is_valid_property(name))

    @api.get("/v1/metadata")
    async def metadata() -> Response:
        return errors.json_response(200, status.metadata(state))

    @api.get("/v1/metadata/id")
    async def metadata_id() -> Response:
        return errors.json_response(200, status.metadata_id(state))

    @api.get("/chc/live")
    async def live() -> Response:
        return errors.json_response(200, {})

    @api.get("/chc/ready")
    async def ready() -> Response:
        return errors.json_response(200, {})

    @api.get("/topics")
    async def list_topics() -> Response:
        return errors.json_response(200, topics.list_topics(state))

    @api.post("/v3/clusters/{cluster_id}/topics")
    async def create_topic(cluster_id: str, request: Request) -> Response:
        body = await read_json(request, limit)
        return errors.json_response(201, await run_in_threadpool(topics.create_topic, state, body))

    @api.post("/topics/{topic}")
    async def produce(topic: str, request: Request) -> Response:
        body = await read_json(request, limit)
        return errors.json_response(
            200, await run_in_threadpool(topics.produce, state, topic, body)
        )

    @api.get("/topics/{topic}/records")
    async def read_records(topic: str) -> Response:
        return errors.json_response(200, await run_in_threadpool(topics.read_records, state, topic))


async def _wait_for_sequence(state: ServerState, wanted: object, timeout_s: float = 5.0) -> None:
    """`commandSequenceNumber`: run after every command up to that number has executed."""
    if not isinstance(wanted, int):
        return
    deadline = asyncio.get_running_loop().time() + timeout_s
    while state.sequence_number < wanted:
        if asyncio.get_running_loop().time() > deadline:
            raise errors.ApiError(
                503,
                errors.generic(
                    errors.COMMAND_QUEUE_CATCHUP_TIMEOUT,
                    "Timed out while waiting for a previous command to execute. "
                    f"command sequence number: {wanted}",
                ),
            )
        await asyncio.sleep(0.05)
