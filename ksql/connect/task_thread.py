"""One connector task on its own thread, with Kafka Connect's task states: RUNNING, PAUSED,
FAILED (with the error's trace) and UNASSIGNED once stopped. A task that fails is started
again after a backoff that doubles from 1 s up to a minute, so a database that comes back is
picked up without anyone restarting the connector."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RUNNING, PAUSED, FAILED, UNASSIGNED = "RUNNING", "PAUSED", "FAILED", "UNASSIGNED"
FIRST_BACKOFF_S, MAX_BACKOFF_S = 1.0, 60.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What tasks use of the engine: its topic log, the offsets store, the schema registry,
    and the columns of the ksql stream or table declared on a topic."""

    log: Any
    offsets: Any
    registry: Any = None
    topic_columns: Callable[[str], list[tuple[str, Any, bool]] | None] = lambda topic: None


class TaskThread:
    """Subclasses implement `run_task`, which runs until `stopping` is set and raises on
    failure; `wait_while_paused` is their pause point."""

    def __init__(
        self,
        connector: str,
        task_id: int,
        config: dict[str, str],
        task_config: dict[str, str],
        task_class: type,
        services: Services,
        worker_id: str,
    ) -> None:
        self.connector = connector
        self.task_id = task_id
        self.config = config  # the connector's configuration (converters, transforms, errors)
        self.task_config = task_config
        self.task_class = task_class
        self.services = services
        self.worker_id = worker_id
        self.state = UNASSIGNED
        self.trace: str | None = None
        self.restarts = 0
        self.stopping = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, paused: bool = False) -> None:
        if paused:
            self._resumed.clear()
        self.state = PAUSED if paused else RUNNING
        self._thread = threading.Thread(
            target=self._run, name=f"connect-{self.connector}-{self.task_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self.stopping.set()
        self._resumed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        self.state = UNASSIGNED

    def pause(self) -> None:
        self._resumed.clear()
        if self.state == RUNNING:
            self.state = PAUSED

    def resume(self) -> None:
        self._resumed.set()
        if self.state == PAUSED:
            self.state = RUNNING

    def wait_while_paused(self) -> None:
        while not self._resumed.is_set() and not self.stopping.is_set():
            self._resumed.wait(0.2)

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.task_id, "state": self.state,
                               "worker_id": self.worker_id}  # fmt: skip
        if self.trace:
            out["trace"] = self.trace
        return out

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        backoff = FIRST_BACKOFF_S
        while not self.stopping.is_set():
            try:
                self.state = PAUSED if self.paused else RUNNING
                self.run_task()
                return
            except Exception:  # noqa: BLE001 - any failure of a plug-in marks the task FAILED
                self.state = FAILED
                self.trace = traceback.format_exc()
                _log.warning(
                    "connector %s task %d failed; restarting in %.0f s:\n%s",
                    self.connector, self.task_id, backoff, self.trace,
                )  # fmt: skip
            if self.stopping.wait(backoff):
                return
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            self.restarts += 1

    def run_task(self) -> None:
        raise NotImplementedError
