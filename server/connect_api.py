"""Kafka Connect's REST API over the engine's connect runtime, on the server's own port, so
Connect tooling (and another ksql server's `ksql.connect.url`) can manage the connectors this
server runs: `/connectors...` and `/connector-plugins...`, with Connect's JSON and errors
(`{"error_code": 404, "message": ...}`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ksql.errors import KsqlError


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": status, "message": message}, status_code=status)


async def _call(fn: Callable[[], Any], status: int = 200) -> Response:
    try:
        result = await run_in_threadpool(fn)
    except KsqlError as error:
        return _error(getattr(error, "http_status", 400), str(error))
    if result is None:
        return Response(status_code=status)
    return JSONResponse(result, status_code=status)


async def _body(request: Request) -> dict[str, Any] | Response:
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "Request body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "Request body must be a JSON object")
    return body


def mount_connect_api(api: FastAPI, engine: Any) -> None:
    router = APIRouter()

    def connect() -> Any:
        return engine.connect

    @router.get("/connectors")
    async def list_connectors(request: Request) -> Response:
        expand = request.query_params.getlist("expand")
        if not expand:
            return await _call(lambda: connect().names())

        def expanded() -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name in connect().names():
                entry: dict[str, Any] = {}
                if "status" in expand:
                    entry["status"] = connect().status(name)
                if "info" in expand:
                    entry["info"] = connect().info(name)
                out[name] = entry
            return out

        return await _call(expanded)

    @router.post("/connectors")
    async def create(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        name, config = body.get("name"), body.get("config") or {}
        if not isinstance(name, str) or not name or not isinstance(config, dict):
            return _error(400, "A connector needs a name and a config object")
        if "name" in config and config["name"] != name:
            return _error(400, "Connector name configuration does not match the request name")
        return await _call(lambda: engine.create_connector(name, config), 201)

    @router.get("/connectors/{name}")
    async def info(name: str) -> Response:
        return await _call(lambda: connect().info(name))

    @router.get("/connectors/{name}/config")
    async def config(name: str) -> Response:
        return await _call(lambda: connect().info(name)["config"])

    @router.put("/connectors/{name}/config")
    async def put_config(name: str, request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        try:
            info, created = await run_in_threadpool(lambda: engine.put_connector(name, body))
        except KsqlError as error:
            return _error(getattr(error, "http_status", 400), str(error))
        return JSONResponse(info, status_code=201 if created else 200)

    @router.get("/connectors/{name}/status")
    async def status(name: str) -> Response:
        return await _call(lambda: connect().status(name))

    @router.get("/connectors/{name}/topics")
    async def topics(name: str) -> Response:
        return await _call(lambda: {name: {"topics": connect().topics(name)}})

    @router.get("/connectors/{name}/tasks")
    async def tasks(name: str) -> Response:
        return await _call(lambda: connect().task_configs(name))

    @router.get("/connectors/{name}/tasks/{task}/status")
    async def task_status(name: str, task: int) -> Response:
        return await _call(lambda: connect().task_status(name, task))

    @router.post("/connectors/{name}/tasks/{task}/restart")
    async def restart_task(name: str, task: int) -> Response:
        return await _call(lambda: connect().restart_task(name, task), 204)

    @router.post("/connectors/{name}/restart")
    async def restart(name: str) -> Response:
        return await _call(lambda: connect().restart(name), 204)

    @router.put("/connectors/{name}/pause")
    async def pause(name: str) -> Response:
        return await _call(lambda: connect().pause(name), 202)

    @router.put("/connectors/{name}/resume")
    async def resume(name: str) -> Response:
        return await _call(lambda: connect().resume(name), 202)

    @router.delete("/connectors/{name}")
    async def delete(name: str) -> Response:
        return await _call(lambda: engine.drop_connector(name), 204)

    @router.get("/connector-plugins")
    async def plugins() -> Response:
        return await _call(lambda: connect().plugins())

    @router.put("/connector-plugins/{plugin}/config/validate")
    async def validate(plugin: str, request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        return await _call(lambda: connect().validate(plugin, body))

    api.include_router(router)
