"""HTTP basic authentication as ksqlDB configures it: users from a JAAS-style properties file
(`user: password[,role...]`), 401 with error code 40100 without valid credentials."""

from __future__ import annotations

import base64
import binascii
import hmac
from pathlib import Path
from typing import Any

from server import errors
from server.encoding import dumps

# Paths that answer without credentials, as in ksqlDB (k8s probes).
UNAUTHENTICATED_PATHS = ("/chc/live", "/chc/ready")


def load_users(path: str | Path) -> dict[str, str]:
    """`name: password[,role,...]` per line; `#` comments, blank lines and `MD5:`-less only."""
    users: dict[str, str] = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        name, sep, rest = line.partition(":")
        if not sep:
            name, sep, rest = line.partition("=")
        if not sep:
            continue
        password = rest.split(",")[0].strip()
        users[name.strip()] = password
    return users


def _credentials(scope: dict) -> tuple[str, str] | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() != "basic":
                return None
            try:
                user, _, password = base64.b64decode(token.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return user, password
    return None


class BasicAuth:
    """ASGI middleware: every HTTP request must carry one of the configured users."""

    def __init__(self, app: Any, users: dict[str, str], realm: str = "KsqlServer") -> None:
        self.app = app
        self.users = users
        self.realm = realm

    def _allowed(self, scope: dict) -> bool:
        found = _credentials(scope)
        if found is None:
            return False
        user, password = found
        expected = self.users.get(user)
        return expected is not None and hmac.compare_digest(expected, password)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in UNAUTHENTICATED_PATHS:
            await self.app(scope, receive, send)
            return
        if self._allowed(scope):
            await self.app(scope, receive, send)
            return
        body = dumps(errors.generic(errors.UNAUTHORIZED, "Unauthorized"))
        headers = [
            (b"content-type", b"application/json"),
            (b"www-authenticate", f'Basic realm="{self.realm}"'.encode()),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
