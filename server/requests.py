"""Reading request bodies as ksqlDB does: JSON whatever the Content-Type, bounded in size, with
the properties a request sets checked as ksqlDB checks them."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from ksql.errors import KsqlError
from ksql.properties import check_properties
from server import errors


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise errors.ApiError(
                413, errors.generic(41300, f"Request body is larger than {limit} bytes")
            )
    try:
        value = orjson.loads(bytes(body)) if body.strip() else None
    except orjson.JSONDecodeError as error:
        raise errors.ApiError(
            400, errors.generic(errors.BAD_REQUEST, f"Invalid JSON in request: {error}")
        ) from None
    if not isinstance(value, dict):
        raise errors.ApiError(
            400,
            errors.generic(errors.BAD_REQUEST, "Invalid JSON in request: expected a JSON object"),
        )
    return value


def required_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise errors.ApiError(
            400,
            errors.generic(
                errors.BAD_REQUEST,
                f"Invalid JSON in request: Missing required creator property '{name}'",
            ),
        )
    return value


def optional_map(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.ApiError(
            400,
            errors.generic(
                errors.BAD_REQUEST, f"Invalid JSON in request: '{name}' must be an object"
            ),
        )
    return value


def request_properties(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The property overrides of a request (`streamsProperties`, `properties`): every name
    known and every value valid for it, else 400 with ksqlDB's message."""
    properties = optional_map(body, name)
    try:
        check_properties(properties)
    except KsqlError as error:
        raise errors.ApiError(400, errors.generic(errors.BAD_REQUEST, error.message)) from None
    return properties
