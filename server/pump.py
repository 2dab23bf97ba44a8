"""Running a query's row iterator on its own thread, handing rows to asyncio with bounded memory.

Each query gets one thread: the engine's row iterators block while they wait for input, and a
slow HTTP client must only ever stall its own query, never the persistent queries or the other
clients. At most `capacity` rows sit between the thread and the connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from ksql.errors import KsqlError
from ksql.results import RowsResult

_log = logging.getLogger("ksql.server")

END = object()


class QueryFailed(Exception):
    """The query stopped with an error while streaming; `message` is safe to show a client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RowPump:
    """Rows of one RowsResult, produced on a thread and consumed with `async for`.

    Rows cross to the event loop a micro-batch at a time (one wake-up per batch, not per row);
    the thread waits while `capacity` rows are in flight.
    """

    def __init__(self, result: RowsResult, capacity: int = 1000) -> None:
        self.result = result
        self.closed = threading.Event()
        self.completed = False  # True when the iterator ended on its own (LIMIT, pull end)
        self._capacity = capacity
        self._in_flight = 0
        self._space = threading.Condition()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._run, name=f"query-{result.query_id}", daemon=True
        )
        self._thread.start()

    def _put(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone: the server is stopping
            self.closed.set()

    def _batches(self):
        if self.result.batches is not None:
            return self.result.batches
        return ([row] for row in self.result.rows)

    def _run(self) -> None:
        try:
            for batch in self._batches():
                if not batch:
                    continue
                with self._space:
                    while self._in_flight >= self._capacity and not self.closed.is_set():
                        self._space.wait(0.2)
                    if self.closed.is_set():
                        return
                    self._in_flight += len(batch)
                self._put(batch)
            self.completed = True
            self._put(END)
        except KsqlError as error:
            self._put(QueryFailed(error.message))
        except Exception as exc:  # noqa: BLE001 - never a traceback out; the log has it
            _log.error("query %s failed", self.result.query_id, exc_info=exc)
            self._put(QueryFailed(f"{type(exc).__name__}: {exc}"))
        finally:
            if not self.closed.is_set():
                self._stop_result()

    def _stop_result(self) -> None:
        try:
            self.result.close()
        except Exception as exc:  # noqa: BLE001 - closing must not fail the response
            _log.warning("closing query %s: %s", self.result.query_id, exc)

    def close(self) -> None:
        """Stop the query; the consumer sees the end of the rows."""
        if self.closed.is_set():
            return
        self.closed.set()
        with self._space:
            self._space.notify_all()
        self._stop_result()
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, END)
        except RuntimeError:
            pass

    @property
    def backlog(self) -> int:
        """Rows produced and not yet taken by the connection."""
        return self._in_flight

    async def batches(self) -> AsyncIterator[list[list[Any]]]:
        while True:
            item = await self._queue.get()
            if item is END:
                return
            if isinstance(item, QueryFailed):
                raise item
            with self._space:
                self._in_flight -= len(item)
                self._space.notify_all()
            yield item

    async def __aiter__(self) -> AsyncIterator[list[Any]]:
        async for batch in self.batches():
            for row in batch:
                yield row


class QueryRegistry:
    """Push queries running for clients, by query id, so /close-query and TERMINATE find them."""

    def __init__(self) -> None:
        self._pumps: dict[str, RowPump] = {}
        self._lock = threading.Lock()

    def add(self, pump: RowPump) -> None:
        with self._lock:
            self._pumps[pump.result.query_id] = pump

    def remove(self, query_id: str) -> None:
        with self._lock:
            self._pumps.pop(query_id, None)

    def get(self, query_id: str) -> RowPump | None:
        with self._lock:
            return self._pumps.get(query_id)

    def close(self, query_id: str) -> bool:
        pump = self.get(query_id)
        if pump is None:
            return False
        pump.close()
        return True

    def close_all(self) -> None:
        with self._lock:
            pumps = list(self._pumps.values())
        for pump in pumps:
            pump.close()

    def __len__(self) -> int:
        with self._lock:
            return len(self._pumps)
