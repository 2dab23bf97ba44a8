"""The connect worker inside ksql: creates connectors from their configuration, runs each as
tasks on their own threads, and answers for their configuration and status (Kafka Connect's
worker and herder, for one process).

A connector that fails to start when it is created fails the CREATE CONNECTOR statement; one
that fails while the command log is replayed (its database is down) is kept, FAILED, and
started again with backoff like a failed task.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Mapping
from typing import Any

from ksql.connect.api import (
    ConfigError,
    Connector,
    ConnectorExists,
    ConnectorNotFound,
    SinkConnector,
)
from ksql.connect.plugins import connector_plugins, load_class
from ksql.connect.sink_runner import SinkTaskThread, sink_topics
from ksql.connect.source_runner import SourceTaskThread
from ksql.connect.task_thread import FAILED, PAUSED, RUNNING, TaskThread

_log = logging.getLogger(__name__)


class _Connector:
    """One connector: its instance, configuration and task threads."""

    def __init__(self, name: str, config: dict[str, str], cls: type[Connector]) -> None:
        self.name = name
        self.config = config
        self.cls = cls
        self.instance: Connector | None = None
        self.tasks: list[TaskThread] = []
        self.task_configs: list[dict[str, str]] = []
        self.state = RUNNING
        self.trace: str | None = None
        self.paused = False

    @property
    def kind(self) -> str:
        return self.cls.kind


class Worker:
    local = True  # connectors run in this process (their statements go to the command log)

    def __init__(self, services: Any, worker_id: str = "ksql:embedded") -> None:
        self.services = services
        self.worker_id = worker_id
        self._connectors: dict[str, _Connector] = {}
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._retry = threading.Thread(target=self._retry_failed, name="connect-retry",
                                       daemon=True)  # fmt: skip
        self._retry.start()

    # ------------------------------------------------------------------ lifecycle

    def create(self, name: str, config: Mapping[str, str], *, keep_failed: bool = False) -> dict:
        """Validate and start a connector; its `info()`. With `keep_failed`, a connector that
        cannot start is kept FAILED (and retried) instead of raising."""
        config = {str(k): str(v) for k, v in config.items()}
        config["name"] = name
        if "connector.class" not in config:
            raise ConfigError(
                'Missing required configuration "connector.class" which has no default value.'
            )
        cls = load_class(config["connector.class"], Connector)
        with self._lock:
            if name in self._connectors:
                raise ConnectorExists(f"Connector {name} already exists")
            connector = _Connector(name, config, cls)
            try:
                self._start(connector)
            except Exception:
                if not keep_failed:
                    raise
                connector.state, connector.trace = FAILED, traceback.format_exc()
            self._connectors[name] = connector
            return self.info(name)

    def _start(self, connector: _Connector) -> None:
        config = connector.config
        instance = connector.cls()
        instance.validate(config)
        if issubclass(connector.cls, SinkConnector):
            sink_topics(config)
        instance.start(config)
        tasks_max = int(config.get("tasks.max", "1"))
        task_configs = instance.task_configs(max(1, tasks_max))
        thread_cls = SinkTaskThread if connector.kind == "sink" else SourceTaskThread
        threads = []
        for task_id, task_config in enumerate(task_configs):
            merged = {**config, **task_config}
            threads.append(thread_cls(
                connector.name, task_id, config, merged, instance.task_class, self.services,
                self.worker_id,
            ))  # fmt: skip
        connector.instance, connector.task_configs, connector.tasks = instance, task_configs, threads
        connector.state, connector.trace = (PAUSED if connector.paused else RUNNING), None
        for thread in threads:
            thread.start(paused=connector.paused)

    def _stop(self, connector: _Connector) -> None:
        for thread in connector.tasks:
            thread.stop()
        if connector.instance is not None:
            try:
                connector.instance.stop()
            except Exception:  # noqa: BLE001 - stopping must go on
                _log.exception("connector %s failed to stop", connector.name)
        connector.tasks, connector.instance = [], None

    def put_config(self, name: str, config: Mapping[str, str]) -> tuple[dict, bool]:
        """Create the connector, or restart it with a new configuration; (info, created)."""
        with self._lock:
            existing = self._connectors.get(name)
        if existing is None:
            return self.create(name, config), True
        config = {str(k): str(v) for k, v in config.items()}
        config["name"] = name
        cls = load_class(config.get("connector.class", ""), Connector)
        probe = cls()
        probe.validate(config)
        with self._lock:
            self._stop(existing)
            existing.config, existing.cls = config, cls
            try:
                self._start(existing)
            except Exception:  # noqa: BLE001 - kept FAILED, retried
                existing.state, existing.trace = FAILED, traceback.format_exc()
            return self.info(name), False

    def delete(self, name: str) -> None:
        with self._lock:
            connector = self._get(name)
            del self._connectors[name]
        self._stop(connector)

    def pause(self, name: str) -> None:
        with self._lock:
            connector = self._get(name)
            connector.paused = True
            if connector.state == RUNNING:
                connector.state = PAUSED
            for thread in connector.tasks:
                thread.pause()

    def resume(self, name: str) -> None:
        with self._lock:
            connector = self._get(name)
            connector.paused = False
            if connector.state == PAUSED:
                connector.state = RUNNING
            for thread in connector.tasks:
                thread.resume()

    def restart(self, name: str) -> None:
        """Stop the connector and its tasks and start them again with the same config."""
        with self._lock:
            connector = self._get(name)
            self._stop(connector)
            try:
                self._start(connector)
            except Exception:  # noqa: BLE001 - kept FAILED, retried
                connector.state, connector.trace = FAILED, traceback.format_exc()

    def restart_task(self, name: str, task_id: int) -> None:
        with self._lock:
            connector = self._get(name)
            thread = self._task(connector, task_id)
            thread.stop()
            fresh = type(thread)(
                name, task_id, thread.config, thread.task_config, thread.task_class,
                self.services, self.worker_id,
            )  # fmt: skip
            connector.tasks[task_id] = fresh
            fresh.start(paused=connector.paused)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            connectors = list(self._connectors.values())
            self._connectors.clear()
        for connector in connectors:
            self._stop(connector)

    def _retry_failed(self) -> None:
        """Start again, with backoff, connectors that could not start."""
        backoff: dict[str, float] = {}
        due: dict[str, float] = {}
        while not self._closed.wait(1.0):
            now = time.monotonic()
            with self._lock:
                for name, connector in self._connectors.items():
                    if connector.state != FAILED or connector.instance is not None:
                        backoff.pop(name, None)
                        continue
                    if now < due.setdefault(name, now):
                        continue
                    try:
                        self._start(connector)
                    except Exception:  # noqa: BLE001 - still failing
                        connector.trace = traceback.format_exc()
                        backoff[name] = min(backoff.get(name, 0.5) * 2, 60.0)
                        due[name] = now + backoff[name]

    # ------------------------------------------------------------------ reading

    def _get(self, name: str) -> _Connector:
        connector = self._connectors.get(name)
        if connector is None:
            raise ConnectorNotFound(f"Connector {name} not found")
        return connector

    @staticmethod
    def _task(connector: _Connector, task_id: int) -> TaskThread:
        if not 0 <= task_id < len(connector.tasks):
            raise ConnectorNotFound(f"Task {connector.name}-{task_id} not found")
        return connector.tasks[task_id]

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._connectors)

    def info(self, name: str) -> dict[str, Any]:
        """Connect's ConnectorInfo: name, config, tasks and type."""
        with self._lock:
            connector = self._get(name)
            tasks = [{"connector": name, "task": i} for i in range(len(connector.task_configs))]
            return {"name": name, "config": dict(connector.config), "tasks": tasks,
                    "type": connector.kind}  # fmt: skip

    def status(self, name: str) -> dict[str, Any]:
        """Connect's ConnectorStateInfo: the connector's and each task's state and trace."""
        with self._lock:
            connector = self._get(name)
            state = connector.state
            top: dict[str, Any] = {"state": state, "worker_id": self.worker_id}
            if connector.trace:
                top["trace"] = connector.trace
            tasks = [thread.status() for thread in connector.tasks]
            return {"name": name, "connector": top, "tasks": tasks, "type": connector.kind}

    def task_configs(self, name: str) -> list[dict[str, Any]]:
        """Connect's task list: each task's id and configuration."""
        with self._lock:
            connector = self._get(name)
            return [{"id": {"connector": name, "task": i}, "config": dict(c)}
                    for i, c in enumerate(connector.task_configs)]  # fmt: skip

    def task_status(self, name: str, task_id: int) -> dict[str, Any]:
        with self._lock:
            return self._task(self._get(name), task_id).status()

    def topics(self, name: str) -> list[str]:
        """The topics the connector writes (source) or reads (sink)."""
        with self._lock:
            connector = self._get(name)
            if connector.kind == "sink":
                found: set[str] = set()
                for thread in connector.tasks:
                    found.update(t for t, _ in getattr(thread, "positions", {}))
                    found.update(getattr(thread, "topics", ()))
                return sorted(found)
            stored = self.services.offsets.get("source", name).get("written", {})
            found = {tp.rpartition("/")[0] for tp in stored}
            for thread in connector.tasks:
                found.update(getattr(thread, "partitions", {}))
            return sorted(found)

    def plugins(self) -> list[dict[str, str]]:
        return connector_plugins()

    def validate(self, plugin: str, config: Mapping[str, str]) -> dict[str, Any]:
        """Connect's config validation: every known key's value and errors."""
        cls = load_class(plugin, Connector)
        instance = cls()
        definition = instance.config_def()
        configs, errors = [], 0
        problems = definition.validate(config) if definition is not None else {}
        general: list[str] = []
        try:
            instance.validate(config)
        except ConfigError as error:
            general.append(str(error))
        for key, messages in problems.items():
            errors += len(messages)
            configs.append({"definition": {"name": key}, "value": {
                "name": key, "value": config.get(key), "recommended_values": [],
                "errors": messages, "visible": True,
            }})  # fmt: skip
        if general and not errors:
            errors = len(general)
            configs.append({"definition": {"name": "connector.class"}, "value": {
                "name": "connector.class", "value": plugin, "recommended_values": [],
                "errors": general, "visible": True,
            }})  # fmt: skip
        return {"name": plugin, "error_count": errors, "groups": [], "configs": configs}

    def plugin_kind(self, class_name: str) -> str | None:
        """"source" or "sink" for a connector class this worker can load, else None."""
        try:
            return load_class(class_name, Connector).kind or None
        except ConfigError:
            return None
