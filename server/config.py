"""Server configuration: a Java-style properties file plus command-line flags (flags win)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from server.auth import load_users
from server.state import ServerConfig


def read_properties(path: str | Path) -> dict[str, str]:
    """`key=value` or `key: value` lines; `#`/`!` comments; backslash line continuations."""
    props: dict[str, str] = {}
    pending = ""
    for raw in Path(path).read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line.startswith(("#", "!")):
            continue
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            props[line] = ""
        else:
            props[line[:cut].strip()] = line[cut + 1 :].strip()
    return props


def build_config(
    properties: dict[str, str],
    *,
    host: str | None,
    port: int | None,
    data_dir: str | None,
    users_file: str | None,
) -> ServerConfig:
    config = ServerConfig()
    listeners = properties.get("listeners")
    if listeners:
        url = urlparse(listeners.split(",")[0].strip())
        config.host = url.hostname or config.host
        config.port = url.port or config.port
    config.data_dir = properties.get("ksql.data.dir", config.data_dir)
    config.registry_listener = properties.get(
        "ksql.schema.registry.listener", config.registry_listener
    )
    if host is not None:
        config.host = host
    if port is not None:
        config.port = port
    if data_dir is not None:
        config.data_dir = data_dir
    if "ksql.server.request.max.bytes" in properties:
        config.max_request_bytes = int(properties["ksql.server.request.max.bytes"])
    if "ksql.server.push.buffer.rows" in properties:
        config.push_capacity = int(properties["ksql.server.push.buffer.rows"])
    method = properties.get("authentication.method", "NONE").upper()
    users_file = users_file or properties.get("authentication.basic.users.file")
    if method == "BASIC" or users_file:
        if not users_file:
            raise SystemExit("authentication.method=BASIC needs authentication.basic.users.file")
        config.users = load_users(users_file)
        config.auth_realm = properties.get("authentication.realm", config.auth_realm)
        skip = properties.get("authentication.skip.paths", "")
        config.auth_skip_paths = tuple(p.strip() for p in skip.split(",") if p.strip())
    config.properties = {
        k: v
        for k, v in properties.items()
        if k.startswith(("ksql.", "auto.offset.reset", "bootstrap.servers"))
    }
    for prefix in ("ksql.streams.",):
        for k, v in list(config.properties.items()):
            if k.startswith(prefix):
                config.properties.setdefault(k[len(prefix) :], v)
    _cluster_defaults(config)
    return config


def _cluster_defaults(config: ServerConfig) -> None:
    """On Kafka (`bootstrap.servers`, plain or `ksql.streams.`) servers with one service id
    share their queries' partitions unless `ksql.cluster.enabled=false`; the URL other
    members reach this one at is `ksql.advertised.listener` (default: the listener)."""
    props = config.properties
    if not str(props.get("bootstrap.servers") or "").strip():
        return
    props.setdefault("ksql.cluster.enabled", "true")
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    props.setdefault("ksql.advertised.listener", f"http://{host}:{config.port}")
