"""Confluent Schema Registry's REST API over a SchemaStore, for Confluent's clients.

`registry_router(store)` is the APIRouter, to include under a prefix of another app;
`registry_app(store)` is a whole ASGI app (root of a dedicated port, default 8081);
`serve_registry(store, host, port)` runs that app on Hypercorn.

Schemas are always compared in their canonical form (compact JSON for AVRO and JSON, the trimmed
text for PROTOBUF), so `normalize` is accepted and changes nothing; `format` is ignored: a
PROTOBUF schema is served in the form it was registered in (.proto text, or the base64
FileDescriptorProto that Confluent's serializers send).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ksql.schemas import errors
from ksql.schemas.auth import BasicAuth
from ksql.schemas.model import Reference, SchemaText
from ksql.schemas.store import LATEST, MAX_VERSION, SchemaStore, Version

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
DEFAULT_PORT = 8081


class RegistryResponse(JSONResponse):
    media_type = MEDIA_TYPE


def error_response(error: errors.RegistryError) -> Response:
    headers = (
        {"WWW-Authenticate": 'Basic realm="SchemaRegistry"'} if error.http_status == 401 else None
    )
    return RegistryResponse(
        {"error_code": error.error_code, "message": error.message},
        status_code=error.http_status,
        headers=headers,
    )


class _RegistryRoute(APIRoute):
    """Renders RegistryError (from the endpoint or a dependency) as Confluent's error body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.RegistryError as e:
                return error_response(e)

        return route


def registry_router(store: SchemaStore, users: Iterable[str] | None = None) -> APIRouter:
    """The registry's routes; with `users` (username:password) every route needs Basic auth."""
    dependencies = [Depends(BasicAuth(users))] if users is not None else []
    router = APIRouter(
        route_class=_RegistryRoute,
        default_response_class=RegistryResponse,
        dependencies=dependencies,
    )
    _root_routes(router)
    _schema_routes(router, store)
    _subject_routes(router, store)
    _compatibility_routes(router, store)
    _config_routes(router, store)
    _mode_routes(router, store)
    return router


def registry_app(store: SchemaStore, users: Iterable[str] | None = None) -> FastAPI:
    """The registry as a whole app, unknown paths answered in Confluent's error shape."""
    app = FastAPI(title="ksql schema registry", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(registry_router(store, users))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(
            errors.RegistryError(exc.status_code, exc.status_code, str(exc.detail))
        )

    return app


async def serve_registry(
    store: SchemaStore,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    users: Iterable[str] | None = None,
    shutdown_trigger: Callable[[], Awaitable[Any]] | None = None,
) -> None:
    """Serve the registry on its own port until `shutdown_trigger` completes (or forever)."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    trigger = shutdown_trigger or asyncio.Event().wait
    app = registry_app(store, users)
    await serve(app, config, shutdown_trigger=trigger)  # type: ignore[arg-type]  # ASGI typing


# -- Request helpers ----------------------------------------------------------------------------


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def _version(text: str) -> Version:
    if text == LATEST or text == "-1":
        return LATEST
    try:
        version = int(text)
    except ValueError:
        raise errors.invalid_version(text) from None
    if not 1 <= version <= MAX_VERSION:
        raise errors.invalid_version(text)
    return version


def _schema_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.schema_not_found(f"Schema {text} not found") from None


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except json.JSONDecodeError as e:
        raise errors.RegistryError(400, 400, f"Invalid JSON body: {e}") from None
    if not isinstance(body, dict):
        raise errors.RegistryError(422, 422, "The request body must be a JSON object")
    return body


def _schema_request(body: dict[str, Any]) -> tuple[str, str, tuple[Reference, ...]]:
    schema = body.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        raise errors.invalid_schema("Empty schema")
    try:
        refs = tuple(
            Reference(str(r["name"]), str(r["subject"]), int(r["version"]))
            for r in body.get("references") or ()
        )
    except (KeyError, TypeError, ValueError):
        raise errors.invalid_schema("Invalid schema references") from None
    return schema, str(body.get("schemaType") or "AVRO"), refs


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    """An id or version a request may give (IMPORT mode); absent, 0 or -1 mean none."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.RegistryError(422, 422, f"{name} must be an integer")
    return value if value > 0 else None


def _raw_schema(text: SchemaText) -> Response:
    return Response(text.schema, media_type=MEDIA_TYPE)


# -- Routes -------------------------------------------------------------------------------------


def _root_routes(router: APIRouter) -> None:
    @router.get("/")
    async def root() -> Any:
        return {}

    @router.post("/")
    async def root_post() -> Any:
        return {}

    @router.get("/schemas/types")
    async def schema_types() -> Any:
        return ["JSON", "PROTOBUF", "AVRO"]

    @router.get("/contexts")
    async def contexts() -> Any:
        return ["."]


def _schema_routes(router: APIRouter, store: SchemaStore) -> None:
    @router.get("/schemas")
    async def schemas(request: Request) -> Any:
        records = store.all_schemas(
            request.query_params.get("subjectPrefix", ""),
            _flag(request, "deleted"),
            _flag(request, "latestOnly"),
        )
        return [r.to_json() for r in records]

    @router.get("/schemas/ids/{schema_id}")
    async def schema_by_id(schema_id: str) -> Any:
        return store.schema_by_id(_schema_id(schema_id)).to_json()

    @router.get("/schemas/ids/{schema_id}/schema")
    async def raw_schema_by_id(schema_id: str) -> Any:
        return _raw_schema(store.schema_by_id(_schema_id(schema_id)))

    @router.get("/schemas/ids/{schema_id}/subjects")
    async def subjects_by_id(schema_id: str, request: Request) -> Any:
        records = store.versions_for_id(_schema_id(schema_id), _flag(request, "deleted"))
        return sorted({r.subject for r in records})

    @router.get("/schemas/ids/{schema_id}/versions")
    async def versions_by_id(schema_id: str, request: Request) -> Any:
        records = store.versions_for_id(_schema_id(schema_id), _flag(request, "deleted"))
        return [{"subject": r.subject, "version": r.version} for r in records]


def _subject_routes(router: APIRouter, store: SchemaStore) -> None:
    @router.get("/subjects")
    async def subjects(request: Request) -> Any:
        return store.subjects(
            request.query_params.get("subjectPrefix", ""),
            _flag(request, "deleted"),
            _flag(request, "deletedOnly"),
        )

    @router.get("/subjects/{subject}/versions")
    async def versions(subject: str, request: Request) -> Any:
        return store.versions(subject, _flag(request, "deleted"), _flag(request, "deletedOnly"))

    @router.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> Any:
        body = await _json_body(request)
        schema, schema_type, refs = _schema_request(body)
        schema_id, version = _optional_int(body, "id"), _optional_int(body, "version")
        record = await run_in_threadpool(
            store.register, subject, schema, schema_type, refs, schema_id, version
        )
        out = record.to_json()
        del out["subject"]
        return out

    @router.get("/subjects/{subject}/versions/{version}")
    async def get_version(subject: str, version: str, request: Request) -> Any:
        return store.get_version(subject, _version(version), _flag(request, "deleted")).to_json()

    @router.get("/subjects/{subject}/versions/{version}/schema")
    async def get_raw_version(subject: str, version: str, request: Request) -> Any:
        record = store.get_version(subject, _version(version), _flag(request, "deleted"))
        return _raw_schema(record.text)

    @router.get("/subjects/{subject}/versions/{version}/referencedby")
    async def referenced_by(subject: str, version: str) -> Any:
        return store.referenced_by(subject, _version(version))

    @router.delete("/subjects/{subject}/versions/{version}")
    async def delete_version(subject: str, version: str, request: Request) -> Any:
        permanent = _flag(request, "permanent")
        return await run_in_threadpool(store.delete_version, subject, _version(version), permanent)

    @router.post("/subjects/{subject}")
    async def lookup(subject: str, request: Request) -> Any:
        schema, schema_type, refs = _schema_request(await _json_body(request))
        deleted = _flag(request, "deleted")
        return store.lookup(subject, schema, schema_type, refs, deleted).to_json()

    @router.delete("/subjects/{subject}")
    async def delete_subject(subject: str, request: Request) -> Any:
        permanent = _flag(request, "permanent")
        return await run_in_threadpool(store.delete_subject, subject, permanent)


def _compatibility_routes(router: APIRouter, store: SchemaStore) -> None:
    async def check(subject: str, version: Version | None, request: Request) -> Any:
        schema, schema_type, refs = _schema_request(await _json_body(request))
        messages = await run_in_threadpool(
            store.test_compatibility, subject, schema, schema_type, refs, version
        )
        out: dict[str, Any] = {"is_compatible": not messages}
        if _flag(request, "verbose"):
            out["messages"] = messages
        return out

    @router.post("/compatibility/subjects/{subject}/versions/{version}")
    async def against_version(subject: str, version: str, request: Request) -> Any:
        return await check(subject, _version(version), request)

    @router.post("/compatibility/subjects/{subject}/versions")
    async def against_all(subject: str, request: Request) -> Any:
        return await check(subject, None, request)


def _config_routes(router: APIRouter, store: SchemaStore) -> None:
    async def set_level(subject: str | None, request: Request) -> Any:
        body = await _json_body(request)
        level = body.get("compatibility", body.get("compatibilityLevel"))
        if level is None:
            raise errors.invalid_compatibility_level(level)
        return {"compatibility": await run_in_threadpool(store.set_compatibility, subject, level)}

    @router.get("/config")
    async def get_global() -> Any:
        return {"compatibilityLevel": store.get_compatibility(None)}

    @router.put("/config")
    async def put_global(request: Request) -> Any:
        return await set_level(None, request)

    @router.delete("/config")
    async def delete_global() -> Any:
        return {"compatibilityLevel": await run_in_threadpool(store.delete_compatibility, None)}

    @router.get("/config/{subject}")
    async def get_subject(subject: str, request: Request) -> Any:
        level = store.get_compatibility(subject, _flag(request, "defaultToGlobal"))
        return {"compatibilityLevel": level}

    @router.put("/config/{subject}")
    async def put_subject(subject: str, request: Request) -> Any:
        return await set_level(subject, request)

    @router.delete("/config/{subject}")
    async def delete_subject(subject: str) -> Any:
        return {"compatibilityLevel": await run_in_threadpool(store.delete_compatibility, subject)}


def _mode_routes(router: APIRouter, store: SchemaStore) -> None:
    async def set_mode(subject: str | None, request: Request) -> Any:
        mode = (await _json_body(request)).get("mode")
        force = _flag(request, "force")
        return {"mode": await run_in_threadpool(store.set_mode, subject, str(mode), force)}

    @router.get("/mode")
    async def get_global() -> Any:
        return {"mode": store.get_mode(None)}

    @router.put("/mode")
    async def put_global(request: Request) -> Any:
        return await set_mode(None, request)

    @router.delete("/mode")
    async def delete_global() -> Any:
        return {"mode": await run_in_threadpool(store.delete_mode, None)}

    @router.get("/mode/{subject}")
    async def get_subject(subject: str, request: Request) -> Any:
        return {"mode": store.get_mode(subject, _flag(request, "defaultToGlobal"))}

    @router.put("/mode/{subject}")
    async def put_subject(subject: str, request: Request) -> Any:
        return await set_mode(subject, request)

    @router.delete("/mode/{subject}")
    async def delete_subject(subject: str) -> Any:
        return {"mode": await run_in_threadpool(store.delete_mode, subject)}
