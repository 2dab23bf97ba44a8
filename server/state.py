"""What one running server holds: the engine, running push queries, command statuses."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from server.fanout import FanOut
from server.pump import QueryRegistry

VERSION = "0.29.0"


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8088
    data_dir: str = "ksql-data"
    properties: dict[str, str] = field(default_factory=dict)
    max_request_bytes: int = 10 * 1024 * 1024
    push_capacity: int = 1000
    users: dict[str, str] | None = None  # basic auth: user -> password; None = no auth
    auth_realm: str = "KsqlServer"
    auth_skip_paths: tuple[str, ...] = ()  # `authentication.skip.paths`: no credentials there
    # The built-in schema registry's own listener (`none`: only under /schema-registry).
    registry_listener: str = "http://127.0.0.1:8081"


class ServerState:
    """Shared by every request; the engine's own lock guards the catalog."""

    def __init__(self, engine: Any, config: ServerConfig) -> None:
        self.engine = engine
        self.config = config
        self.queries = QueryRegistry()
        self.fanout = FanOut()
        self.server_state = "READY"
        self.command_statuses: dict[str, dict[str, Any]] = {}
        self._sequence = 0
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    @property
    def service_id(self) -> str:
        return str(self.engine.properties.get("ksql.service.id", "default_"))

    @property
    def sequence_number(self) -> int:
        with self._lock:
            return self._sequence

    def next_sequence(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    def record_status(self, command_id: str, status: dict[str, Any]) -> None:
        with self._lock:
            self.command_statuses[command_id] = status
