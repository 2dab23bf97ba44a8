"""Optional HTTP Basic auth for the registry: a request without a listed user gets 401."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable

from fastapi import Request

from ksql.schemas.errors import RegistryError


class BasicAuth:
    """A FastAPI dependency accepting the `username:password` pairs it was given."""

    def __init__(self, users: Iterable[str], realm: str = "SchemaRegistry") -> None:
        self._users: dict[str, str] = {}
        for entry in users:
            name, sep, password = entry.partition(":")
            if not sep:
                raise ValueError(f"expected username:password, got {entry!r}")
            self._users[name] = password
        self.realm = realm

    def __call__(self, request: Request) -> None:
        if not self.allows(request.headers.get("authorization", "")):
            raise RegistryError(401, 401, "Unauthorized")

    def allows(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            name, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = self._users.get(name)
        # compare_digest: the time taken must not tell how much of a password matched.
        return bool(sep) and expected is not None and hmac.compare_digest(expected, password)
