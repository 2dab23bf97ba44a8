"""Change notification shared by the topic logs: an append counter to wait on, and listeners
called with (topic, partition, end_offset) after every append."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

_log = logging.getLogger(__name__)

AppendListener = Callable[[str, int, int], None]


class AppendNotifier:
    """Mixin; the log calls `_init_notifier()` in its constructor and `_notify(events)` after
    each append, and sets `_closed` (under `_cond`) when it closes."""

    # Longest single wait; None waits the whole timeout (a log that sees every append itself).
    max_wait_s: float | None = None
    _closed: bool

    def _init_notifier(self) -> None:
        self._cond = threading.Condition()
        self._seq = 0
        self._listeners: list[AppendListener] = []

    @property
    def append_seq(self) -> int:
        """Counter bumped on every append; pass it to `wait_for_append(since=...)`."""
        with self._cond:
            return self._seq

    def wait_for_append(self, timeout_s: float, since: int | None = None) -> bool:
        """Sleep until an append happens (after `since`, if given) or the timeout (capped by
        `max_wait_s`) passes; True if one did."""
        if self.max_wait_s is not None:
            timeout_s = min(timeout_s, self.max_wait_s)
        with self._cond:
            seen = self._seq if since is None else since
            self._cond.wait_for(lambda: self._seq > seen or self._closed, timeout_s)
            return self._seq > seen

    def add_listener(self, listener: AppendListener) -> None:
        """Call `listener(topic, partition, end_offset)` after every append."""
        with self._cond:
            self._listeners.append(listener)

    def remove_listener(self, listener: AppendListener) -> None:
        with self._cond:
            self._listeners.remove(listener)

    def _notify(self, events: tuple | list = ()) -> None:
        with self._cond:
            self._seq += 1
            self._cond.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            for topic, partition, end in events:
                try:
                    listener(topic, partition, end)
                except Exception:  # noqa: BLE001 - a listener must not fail the append
                    _log.exception("Topic log listener failed")
