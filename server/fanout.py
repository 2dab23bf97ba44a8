"""Identical push queries share one running query: many clients, one read and decode.

Dashboards open the same `SELECT ... EMIT CHANGES` many times. A push query that reads from
the latest offset and has no LIMIT is keyed by its text, properties and variables; a second
client with the same key subscribes to the running query instead of starting another. The
shared query never waits for a client: each subscriber has its own bounded backlog, and a
client that falls `capacity` rows behind is disconnected with an error, so one slow client
cannot stall the others or grow the server's memory. A subscriber sees the rows the shared
query produces after it subscribed (with `latest` that may include records appended just
before, not yet processed).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from ksql.errors import KsqlError
from ksql.results import RowsResult
from server.pump import QueryFailed

_log = logging.getLogger("ksql.server")
_ids = itertools.count()
_END = object()


@dataclass(frozen=True, slots=True)
class _Failure:
    message: str


class Subscriber:
    """One client's view of a shared query; used like a RowPump."""

    def __init__(self, shared: SharedQuery, result: RowsResult, capacity: int) -> None:
        self.shared = shared
        self.result = result  # this client's query id, the shared columns
        self.capacity = capacity
        self.completed = False
        self.backlog = 0
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = False

    def offer(self, batch: list) -> None:
        """On the event loop: queue a batch, or cut off a client that is too far behind."""
        if self.closed:
            return
        if self.backlog > self.capacity:  # unread rows: a client keeping up has none left
            while not self.queue.empty():  # its backlog is dropped with it
                self.queue.get_nowait()
            self.queue.put_nowait(
                _Failure(
                    f"Push query {self.result.query_id} closed: the client fell more "
                    f"than {self.capacity} rows behind"
                )
            )
            self.shared.unsubscribe(self)
            return
        self.backlog += len(batch)
        self.queue.put_nowait(batch)

    def finish(self, item: Any) -> None:
        if not self.closed:
            self.queue.put_nowait(item)

    def close(self) -> None:
        if self.closed:
            return
        self.shared.unsubscribe(self)
        self.closed = True
        self.queue.put_nowait(_END)

    async def batches(self) -> AsyncIterator[list[list[Any]]]:
        while True:
            item = await self.queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise QueryFailed(item.message)
            self.backlog -= len(item)
            yield item

    async def __aiter__(self) -> AsyncIterator[list[Any]]:
        async for batch in self.batches():
            for row in batch:
                yield row


class SharedQuery:
    """A push query run once, on its own thread, for every subscriber with the same key."""

    def __init__(self, registry: FanOut, key: tuple, result: RowsResult) -> None:
        self.registry = registry
        self.key = key
        self.result = result
        self.subscribers: set[Subscriber] = set()
        self.loop = asyncio.get_running_loop()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="shared-push", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _deliver(self, batch: list) -> None:
        for subscriber in list(self.subscribers):
            subscriber.offer(batch)

    def _finish(self, item: Any) -> None:
        for subscriber in list(self.subscribers):
            subscriber.finish(item)

    def _run(self) -> None:
        batches = self.result.batches or ([row] for row in self.result.rows)
        ending: Any = _END
        try:
            for batch in batches:
                if self.stopped.is_set():
                    return
                if batch:
                    self.loop.call_soon_threadsafe(self._deliver, batch)
        except KsqlError as error:
            ending = _Failure(error.message)
        except Exception as exc:  # noqa: BLE001 - never a traceback out; the log has it
            _log.error("shared push query failed", exc_info=exc)
            ending = _Failure(f"{type(exc).__name__}: {exc}")
        finally:
            self.registry.forget(self)
            try:
                self.loop.call_soon_threadsafe(self._finish, ending)
            except RuntimeError:
                pass

    def subscribe(self, capacity: int) -> Subscriber:
        query_id = f"{self.result.query_id}_{next(_ids)}"
        subscriber = Subscriber(self, replace(self.result, query_id=query_id), capacity)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers:
            self.stop()

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.registry.forget(self)
        try:
            self.result.close()
        except Exception as exc:  # noqa: BLE001 - closing must not fail the response
            _log.warning("closing shared push query: %s", exc)


class FanOut:
    """Running shared push queries by key (only touched from the event loop)."""

    def __init__(self) -> None:
        self.queries: dict[tuple, SharedQuery] = {}
        self._starting: dict[tuple, asyncio.Future] = {}
        self._lock = threading.Lock()

    async def running(self, key: tuple) -> SharedQuery | None:
        """The running query for `key`, waiting for one that another request is starting."""
        pending = self._starting.get(key)
        if pending is not None:
            await asyncio.shield(pending)
        return self.get(key)

    def starting(self, key: tuple) -> asyncio.Future:
        """Mark `key` as being started, so identical requests wait and then subscribe."""
        future = asyncio.get_running_loop().create_future()
        self._starting[key] = future
        return future

    def started(self, key: tuple, future: asyncio.Future, shared: SharedQuery | None) -> None:
        if self._starting.get(key) is future:
            del self._starting[key]
        if not future.done():
            future.set_result(shared)

    def get(self, key: tuple) -> SharedQuery | None:
        with self._lock:
            shared = self.queries.get(key)
        return None if shared is None or shared.stopped.is_set() else shared

    def add(self, key: tuple, result: RowsResult) -> SharedQuery:
        """Register a new shared query; the caller subscribes, then calls start()."""
        shared = SharedQuery(self, key, result)
        with self._lock:
            self.queries[key] = shared
        return shared

    def forget(self, shared: SharedQuery) -> None:
        with self._lock:
            if self.queries.get(shared.key) is shared:
                del self.queries[shared.key]

    def close_all(self) -> None:
        with self._lock:
            queries = list(self.queries.values())
        for shared in queries:
            shared.stop()
