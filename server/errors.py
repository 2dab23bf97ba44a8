"""Error bodies of ksqlDB's REST API: generic_error and statement_error, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.responses import Response

from ksql.errors import KsqlError, ParseError, StatementError
from server.encoding import dumps

_log = logging.getLogger("ksql.server")

BAD_REQUEST = 40000
BAD_STATEMENT = 40001
QUERY_ENDPOINT = 40002
HTTP2_ONLY = 40004
UNAUTHORIZED = 40100
FORBIDDEN = 40300
NOT_FOUND = 40400
ASSERTION_FAILED = 41700
SERVER_ERROR = 50000
COMMAND_QUEUE_CATCHUP_TIMEOUT = 50301

SERVER_ERROR_MESSAGE = (
    "The server encountered an internal error when processing the query. "
    "Please consult the server logs for more information."
)

QUERY_ENDPOINT_MESSAGE = (
    "The following statement types should be issued to the websocket endpoint '/query':\n"
    "\t* PRINT\n\t* SELECT"
)


class ApiError(Exception):
    """An error that is answered with a JSON body and an HTTP status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def generic(error_code: int, message: str) -> dict[str, Any]:
    return {"@type": "generic_error", "error_code": error_code, "message": message}


def statement_error(
    message: str, statement_text: str, entities: list[dict] | None = None, code: int = BAD_STATEMENT
) -> dict[str, Any]:
    return {
        "@type": "statement_error",
        "error_code": code,
        "message": message,
        "statementText": statement_text,
        "entities": entities or [],
    }


def from_ksql_error(error: KsqlError, statement_text: str, entities: list[dict]) -> ApiError:
    """A failing statement: 400 statement_error for user errors, 500 for engine failures."""
    text = error.statement_text or statement_text
    if error.http_status >= 500 and not isinstance(error, ParseError | StatementError):
        _log.warning("statement failed: %s: %s", text, error.message)
        return ApiError(500, generic(SERVER_ERROR, error.message))
    return ApiError(400, statement_error(error.message, text, entities))


def internal(exc: BaseException, context: str) -> ApiError:
    """An unexpected failure: logged with its traceback on the server, a fixed message out."""
    _log.error("internal error in %s", context, exc_info=exc)
    return ApiError(500, generic(SERVER_ERROR, SERVER_ERROR_MESSAGE))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json", headers=headers)


def error_response(error: ApiError) -> Response:
    return json_response(error.status, error.body)
