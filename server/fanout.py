"""Identical push queries share one running query: many clients, one read, decode and encode.

Dashboards open the same `SELECT ... EMIT CHANGES` many times. A push query that reads from
the latest offset and has no LIMIT is keyed by its text, properties and variables; a second
client with the same key subscribes to the running query instead of starting another.

Each micro-batch the shared query produces is encoded once per response format, on the query's
thread, into the bytes that go on the wire (`EncodedBatch`); every subscriber with that format
is handed the same bytes objects. A subscriber's connection takes everything queued for it at
once, so a client that falls behind gets fewer, larger writes instead of one per batch: the
event loop's work per client follows how often the client can be written to, not the row rate.

The shared query never waits for a client: each subscriber has its own bounded backlog (rows
queued and not yet written), and a client that falls `capacity` rows behind is disconnected
with an error, so one slow client cannot stall the others or grow the server's memory (the
queued bytes are shared, so the backlogs of many clients cost little more than one). A
subscriber sees the rows the shared query produces after it subscribed (with `latest` that may
include records appended just before, not yet processed).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from ksql.errors import KsqlError
from ksql.results import RowsResult
from server.formats import ResponseFormat
from server.pump import QueryFailed

_log = logging.getLogger("ksql.server")
_ids = itertools.count()
_END = object()


@dataclass(frozen=True, slots=True)
class _Failure:
    message: str


class EncodedBatch:
    """One micro-batch of a shared query: its rows, and their wire bytes per format."""

    __slots__ = ("_joined", "_lines", "count", "rows")

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows
        self.count = len(rows)
        self._lines: dict[str, list[bytes]] = {}
        self._joined: dict[str, bytes] = {}

    def encode(self, fmt: ResponseFormat) -> None:
        """Encode for `fmt`'s key (on the query's thread, before the batch is delivered)."""
        if fmt.shared_key not in self._lines:
            lines = [line for line in map(fmt.push_row, self.rows) if line]
            self._lines[fmt.shared_key] = lines
            self._joined[fmt.shared_key] = b"".join(lines)

    def lines(self, fmt: ResponseFormat) -> list[bytes]:
        """One message per row (tombstones a format drops have none)."""
        self.encode(fmt)  # a format that subscribed after this batch was encoded
        return self._lines[fmt.shared_key]

    def joined(self, fmt: ResponseFormat) -> bytes:
        self.encode(fmt)
        return self._joined[fmt.shared_key]


class Subscriber:
    """One client's view of a shared query; registered like a RowPump."""

    def __init__(
        self, shared: SharedQuery, result: RowsResult, fmt: ResponseFormat, capacity: int
    ) -> None:
        self.shared = shared
        self.result = result  # this client's query id, the shared columns
        self.fmt = fmt
        self.capacity = capacity
        self.completed = False
        self.backlog = 0  # rows queued or being written, not yet taken by the connection
        self.closed = False
        self._queue: deque[Any] = deque()
        self._wakeup: asyncio.Future | None = None

    def _put(self, item: Any) -> None:
        self._queue.append(item)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def offer(self, batch: EncodedBatch) -> None:
        """On the event loop: queue a batch, or cut off a client that is too far behind."""
        if self.closed:
            return
        if self.backlog > self.capacity:  # unread rows: a client keeping up has none left
            self._queue.clear()  # its backlog is dropped with it
            self._put(
                _Failure(
                    f"Push query {self.result.query_id} closed: the client fell more "
                    f"than {self.capacity} rows behind"
                )
            )
            self.shared.unsubscribe(self)
            return
        self.backlog += batch.count
        self._put(batch)

    def finish(self, item: Any) -> None:
        if not self.closed:
            self._put(item)

    def close(self) -> None:
        if self.closed:
            return
        self.shared.unsubscribe(self)
        self.closed = True
        self._put(_END)

    async def takes(self) -> AsyncIterator[list[EncodedBatch]]:
        """Everything queued for this client, each time there is something: one batch when
        the client keeps up, several when it has fallen behind."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wakeup = loop.create_future()
                try:
                    await self._wakeup
                finally:
                    self._wakeup = None
            taken: list[EncodedBatch] = []
            ending: Any = None
            while self._queue:
                item = self._queue.popleft()
                if item is _END or isinstance(item, _Failure):
                    ending = item
                    break
                taken.append(item)
            if taken:
                yield taken
                # Written now: rows count against the backlog until the connection took them.
                self.backlog -= sum(batch.count for batch in taken)
            if ending is _END:
                return
            if isinstance(ending, _Failure):
                raise QueryFailed(ending.message)

    async def batches(self) -> AsyncIterator[list[list[Any]]]:
        async for taken in self.takes():
            for batch in taken:
                yield batch.rows

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
        self.formats: dict[str, ResponseFormat] = {}  # of the subscribers, by shared_key
        self.loop = asyncio.get_running_loop()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="shared-push", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _deliver(self, batch: EncodedBatch) -> None:
        for subscriber in list(self.subscribers):
            subscriber.offer(batch)

    def _finish(self, item: Any) -> None:
        for subscriber in list(self.subscribers):
            subscriber.finish(item)

    def _run(self) -> None:
        batches = self.result.batches or ([row] for row in self.result.rows)
        ending: Any = _END
        try:
            for rows in batches:
                if self.stopped.is_set():
                    return
                if rows:
                    batch = EncodedBatch(rows)
                    for fmt in list(self.formats.values()):
                        batch.encode(fmt)  # here, not on the event loop
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

    def subscribe(self, fmt: ResponseFormat, capacity: int) -> Subscriber:
        query_id = f"{self.result.query_id}_{next(_ids)}"
        subscriber = Subscriber(self, replace(self.result, query_id=query_id), fmt, capacity)
        self.subscribers.add(subscriber)
        self.formats.setdefault(fmt.shared_key, fmt)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers:
            self.stop()
        elif not any(s.fmt.shared_key == subscriber.fmt.shared_key for s in self.subscribers):
            self.formats.pop(subscriber.fmt.shared_key, None)  # no one left to encode for

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
