"""Opens the engine's connect runtime: the embedded worker over the engine's topic log, or,
with `ksql.connect.url` set, a client of that Kafka Connect cluster's REST API (as ksqlDB
sends connector statements to its Connect cluster)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ksql.connect.offsets import OffsetStore
from ksql.connect.task_thread import Services
from ksql.connect.worker import Worker


def open_connect(
    log: Any,
    properties: Mapping[str, str],
    *,
    registry: Any = None,
    topic_columns: Callable[[str], list[tuple[str, Any, bool]] | None] = lambda topic: None,
) -> Any:
    url = (properties.get("ksql.connect.url") or "").strip()
    if url:
        from ksql.connect.remote import RemoteConnect

        return RemoteConnect(url, properties)
    worker_id = properties.get("ksql.connect.worker.id") or "ksql:embedded"
    services = Services(log, OffsetStore(log), registry, topic_columns)
    return Worker(services, worker_id)
