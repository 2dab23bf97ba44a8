"""HTTP basic authentication as ksqlDB configures it: users from a JAAS-style properties file
(`user: password[,role...]`), 401 with error code 40100 without valid credentials, on every
connection (HTTP requests and websocket upgrades) except the paths that skip authentication."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from server import errors
from server.encoding import dumps

# Paths that always answer without credentials, as in ksqlDB (k8s probes); more are configured
# with `authentication.skip.paths`.
UNAUTHENTICATED_PATHS = ("/chc/live", "/chc/ready")


def load_users(path: str | Path) -> dict[str, str]:
    """`name: password[,role,...]` per line (UTF-8); `#` and `!` comments and blank lines."""
    users: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
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


def skip_paths_pattern(paths: Iterable[str]) -> re.Pattern[str]:
    """One pattern for the probe paths and the entries of `authentication.skip.paths` (`*`
    matches any run of characters, as in ksqlDB)."""
    listed = [*UNAUTHENTICATED_PATHS, *paths]
    return re.compile("|".join(re.escape(p).replace(r"\*", ".*") for p in listed))


def _credentials(scope: dict) -> tuple[bytes, bytes] | None:
    """(user, password) as bytes (UTF-8, as clients encode them) from the Authorization
    header; None without Basic credentials (another scheme, bad base64, no colon)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            kind, _, token = value.partition(b" ")
            if kind.lower() != b"basic":
                return None
            try:
                decoded = base64.b64decode(token.strip(), validate=True)
            except binascii.Error:
                return None
            user, sep, password = decoded.partition(b":")
            return (user, password) if sep else None
    return None


class BasicAuth:
    """ASGI middleware: every HTTP request and websocket upgrade must carry one of the
    configured users, unless its path skips authentication."""

    def __init__(
        self,
        app: Any,
        users: dict[str, str],
        realm: str = "KsqlServer",
        skip_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.users = [(u.encode(), p.encode()) for u, p in users.items()]
        self.realm = realm
        self.skip = skip_paths_pattern(skip_paths)

    def _allowed(self, scope: dict) -> bool:
        found = _credentials(scope)
        if found is None:
            return False
        user, password = found
        # Every user, both parts, without short-circuits: the time taken does not tell which
        # user exists or which part was wrong.
        matched = False
        for name, secret in self.users:
            matched |= hmac.compare_digest(name, user) & hmac.compare_digest(secret, password)
        return matched

    def _skips(self, path: str) -> bool:
        # A dot segment could make a skipped path name another route: never skipped.
        return "/." not in path and self.skip.fullmatch(path) is not None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan" or self._skips(scope.get("path", "")):
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
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in (scope.get("extensions") or {}):
            # Refuse the upgrade with the same 401 an HTTP request gets.
            start = {"type": "websocket.http.response.start", "status": 401, "headers": headers}
            await send(start)
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})  # policy violation (403)
