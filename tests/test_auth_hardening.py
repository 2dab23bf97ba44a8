"""Basic auth holds for any UTF-8 credentials, every connection (HTTP and websocket upgrades)
is authenticated unless `authentication.skip.paths` lists its path, and checking credentials
takes the same steps whichever part is wrong (issue 21)."""

from __future__ import annotations

import asyncio
import base64
import hmac
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ksql.conformance.rest_server import ServerProcess
from ksql.schemas.auth import BasicAuth as RegistryAuth
from server.auth import BasicAuth

USERS = "fred: letmein,admin\nzoë: pässwörd✓,user\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    users = tmp_path_factory.mktemp("auth") / "users.properties"
    users.write_text(USERS, encoding="utf-8")
    process = ServerProcess(
        properties="authentication.skip.paths=/info, /v1/*\n",
        extra_args=("--users-file", str(users)),
    )
    yield process
    process.stop()


def _basic(credentials: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode()}


def _status(server: ServerProcess, path: str, headers: dict[str, str]) -> int:
    return server.request("GET", path, headers=headers, timeout_s=10).status


def test_a_user_with_a_non_ascii_password_logs_in(server: ServerProcess) -> None:
    assert _status(server, "/healthcheck", _basic("zoë:pässwörd✓".encode())) == 200
    assert _status(server, "/healthcheck", _basic("zoë:passwörd✓".encode())) == 401
    assert _status(server, "/healthcheck", _basic("fred:pässwörd✓".encode())) == 401
    assert _status(server, "/healthcheck", _basic(b"fred:letmein")) == 200


@pytest.mark.parametrize(
    "header",
    [
        "Basic %%%not-base64%%%",
        "Basic " + base64.b64encode(b"fred").decode(),  # no colon
        "Basic " + base64.b64encode(b"fred:\xff\xfe").decode(),  # not UTF-8
        "Bearer " + base64.b64encode(b"fred:letmein").decode(),
        "Basic",
    ],
)
def test_malformed_credentials_are_a_401(server: ServerProcess, header: str) -> None:
    result = server.request("GET", "/healthcheck", headers={"Authorization": header})
    assert result.status == 401
    assert result.json()["error_code"] == 40100


def _upgrade(server: ServerProcess, path: str, extra: str = "") -> bytes:
    """The status line of a websocket upgrade request."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_websocket_upgrades_are_authenticated(server: ServerProcess) -> None:
    assert b" 401 " in _upgrade(server, "/ws/query")
    credentials = base64.b64encode(b"fred:letmein").decode()
    authorized = _upgrade(server, "/ws/query", f"Authorization: Basic {credentials}\r\n")
    assert b" 401 " not in authorized  # past auth: the app answers (no such websocket route)


def test_skip_paths_answer_without_credentials_and_nothing_else_does(
    server: ServerProcess,
) -> None:
    assert _status(server, "/info", {}) == 200
    assert _status(server, "/v1/metadata", {}) == 200  # `/v1/*`
    assert _status(server, "/chc/live", {}) == 200  # probes always
    assert _status(server, "/healthcheck", {}) == 401
    assert _status(server, "/info/../healthcheck", {}) == 401
    assert server.post("/ksql", {"ksql": "SHOW STREAMS;"}).status == 401


def test_checking_credentials_compares_both_parts_of_every_user(monkeypatch) -> None:
    users = {f"user{i}": f"secret{i}" for i in range(5)}
    auth = BasicAuth(app=None, users=users)
    calls: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr("server.auth.hmac.compare_digest", counting)
    counts = []
    for credentials in (b"user3:wrong", b"nobody:secret3", b"user3:secret3"):
        calls.clear()
        headers = [(b"authorization", b"Basic " + base64.b64encode(credentials))]
        allowed = auth._allowed({"type": "http", "headers": headers})
        counts.append((len(calls), allowed))
    assert counts == [(10, False), (10, False), (10, True)]


def test_a_websocket_is_refused_without_the_http_response_extension_too() -> None:
    reached: list[dict] = []

    async def app(scope, receive, send) -> None:
        reached.append(scope)

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    auth = BasicAuth(app, {"fred": "letmein"})
    asyncio.run(auth({"type": "websocket", "path": "/ws/query", "headers": []}, None, send))
    assert reached == [] and sent == [{"type": "websocket.close", "code": 1008}]


def test_the_registry_accepts_utf8_credentials_too(tmp_path: Path) -> None:
    auth = RegistryAuth(["zoë:pässwörd✓"])
    header = "Basic " + base64.b64encode("zoë:pässwörd✓".encode()).decode()
    # Starlette hands the header over as latin-1 text.
    assert auth.allows(header.encode().decode("latin-1"))
    assert not auth.allows("Basic " + base64.b64encode("zoë:wrong".encode()).decode())
    assert not auth.allows("Basic ###")
