"""Sends records whose timestamp is exactly 0 (the epoch), which librdkafka cannot write.

librdkafka reads a timestamp of 0 as "stamp it now", so confluent-kafka cannot produce
CreateTime 0, a value Kafka's Java clients write without fuss (replays, tests, ksqlDB's own
test cases). These records go through aiokafka instead, on a private event-loop thread, with
an idempotent producer; the caller keeps each partition's order by flushing one client before
the other sends. Without aiokafka installed the records are stamped "now" with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future

from ksql.errors import TopicError

_log = logging.getLogger(__name__)
TIMEOUT_S = 30.0


class EpochProducer:
    """Started on first use; `send` returns once every record is acknowledged."""

    def __init__(self, bootstrap_servers: str, client_config: Mapping[str, str]) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_config = dict(client_config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._producer = None
        self._lock = threading.Lock()
        self.available = _aiokafka_installed()
        self._warned = False

    def send(self, topic: str, rows: Sequence[tuple]) -> list[tuple[int, int]]:
        """Write (key, value, partition, headers) rows with timestamp 0; their (partition,
        offset) in order."""
        try:
            with self._lock:
                if self._producer is None:
                    self._start()
                future: Future = asyncio.run_coroutine_threadsafe(
                    self._send(topic, rows), self._loop
                )
            return future.result(TIMEOUT_S)
        except TimeoutError:
            raise TopicError(f"Records to '{topic}' were not acknowledged in time") from None
        except Exception as error:  # noqa: BLE001 - any client failure is a produce failure
            raise TopicError(f"Could not produce to '{topic}': {error}") from None

    def warn_once(self) -> None:
        if not self._warned:
            self._warned = True
            _log.warning("aiokafka is not installed: records with timestamp 0 are stamped now")

    async def _send(self, topic: str, rows: Sequence[tuple]) -> list[tuple[int, int]]:
        send = self._producer.send
        futures = [
            await send(topic, v, k, partition=p, timestamp_ms=0, headers=h) for k, v, p, h in rows
        ]
        done = await asyncio.gather(*futures)
        return [(m.partition, m.offset) for m in done]

    def _start(self) -> None:
        from aiokafka import AIOKafkaProducer

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="ksql-epoch-producer", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

        async def start(idempotent: bool):
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                enable_idempotence=idempotent,
                acks="all",
                linger_ms=0,
                **_aiokafka_options(self.client_config),
            )
            try:
                await producer.start()  # an idempotent one fetches its producer id here
            except BaseException:
                await producer.stop()
                raise
            return producer

        try:
            self._producer = asyncio.run_coroutine_threadsafe(start(True), loop).result(TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - fall back to acks=all without idempotence
            _log.warning("Idempotent aiokafka producer unavailable (%s); using acks=all", error)
            self._producer = asyncio.run_coroutine_threadsafe(start(False), loop).result(TIMEOUT_S)

    def close(self) -> None:
        with self._lock:
            if self._loop is None:
                return
            if self._producer is not None:
                stop = asyncio.run_coroutine_threadsafe(self._producer.stop(), self._loop)
                try:
                    stop.result(TIMEOUT_S)
                except Exception:  # noqa: BLE001 - closing; nothing is left to deliver
                    _log.exception("Closing the epoch producer failed")
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop.close()
            self._loop = self._thread = self._producer = None


def _aiokafka_installed() -> bool:
    try:
        import aiokafka  # noqa: F401
    except ImportError:
        return False
    return True


def _aiokafka_options(config: Mapping[str, str]) -> dict:
    """The few client settings with a direct aiokafka equivalent."""
    options = {}
    if "client.id" in config:
        options["client_id"] = config["client.id"]
    if "security.protocol" in config:
        options["security_protocol"] = config["security.protocol"]
    if "sasl.mechanism" in config:
        options["sasl_mechanism"] = config["sasl.mechanism"]
    if "sasl.username" in config:
        options["sasl_plain_username"] = config["sasl.username"]
    if "sasl.password" in config:
        options["sasl_plain_password"] = config["sasl.password"]
    return options
