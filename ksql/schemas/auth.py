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
        self._users: list[tuple[bytes, bytes]] = []
        for entry in users:
            name, sep, password = entry.partition(":")
            if not sep:
                raise ValueError(f"expected username:password, got {entry!r}")
            self._users.append((name.encode(), password.encode()))
        self.realm = realm

    def __call__(self, request: Request) -> None:
        if not self.allows(request.headers.get("authorization", "")):
            raise RegistryError(401, 401, "Unauthorized")

    def allows(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            # Starlette read the header as latin-1: back to the bytes the client sent (UTF-8).
            decoded = base64.b64decode(encoded.encode("latin-1"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return False
        name, sep, password = decoded.partition(b":")
        # compare_digest on bytes (any UTF-8), both parts, every user: the time taken does not
        # tell which user exists or how much of a password matched.
        matched = False
        for user, secret in self._users:
            matched |= hmac.compare_digest(user, name) & hmac.compare_digest(secret, password)
        return bool(sep) and matched
