"""The topic log on a Kafka cluster: `TopicLog`'s interface over confluent-kafka.

Topics, records and consumer-group offsets live in the cluster. Produced records are placed as
the embedded log places them (explicit partition, else murmur2 of the key, else one sticky
partition per call), sent by an idempotent producer, and acknowledged before `produce` returns,
so a read that follows sees them. Reads go through one shared consumer (kafka_fetch.py).

librdkafka stamps a record whose timestamp is 0 with the current time (0 means "now" in its
API); such records are sent by a second, aiokafka-based producer (kafka_epoch.py).
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import pyarrow as pa
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient

from ksql.errors import ExecutionError, TopicError
from ksql.storage.kafka_admin import KafkaTopics
from ksql.storage.kafka_epoch import EpochProducer
from ksql.storage.kafka_fetch import KafkaFetcher
from ksql.storage.kafka_offsets import KafkaOffsetStore
from ksql.storage.notify import AppendNotifier
from ksql.storage.placement import place_records
from ksql.storage.records import normalize, python_fields
from ksql.storage.topics import TopicInfo

_log = logging.getLogger(__name__)
_client_log = logging.getLogger("ksql.kafka.client")

FLUSH_TIMEOUT_S = 30.0
MAX_WAIT_S = 0.2  # appends by other clients are noticed by polling at least this often

# Client settings a user may pass through engine properties to every Kafka client.
CLIENT_PREFIXES = ("security.", "sasl.", "ssl.", "client.", "socket.", "broker.")


class KafkaTopicLog(AppendNotifier):
    """Topics on a Kafka cluster with the embedded TopicLog's interface."""

    # The schema registry the serializers of this cluster use (AVRO, PROTOBUF, JSON_SR); the
    # engine sets it, and runners hand it to the formats they build.
    schema_registry: Any = None

    max_wait_s = MAX_WAIT_S  # appends by other clients are seen by the next read

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic_prefix: str = "",
        topic_config: Mapping[str, str] | None = None,
        client_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.prefix = topic_prefix
        base = {
            "bootstrap.servers": bootstrap_servers,
            "logger": _client_log,  # librdkafka's messages go through Python logging
            **dict(client_config or {}),
        }
        self._admin = AdminClient(base)
        self.topics = KafkaTopics(self._admin, prefix=topic_prefix, default_config=topic_config)
        self._producer = Producer(
            {
                **base,
                "enable.idempotence": True,
                "linger.ms": 5,
                "partitioner": "murmur2_random",
                "queue.buffering.max.messages": 500_000,
            }
        )
        self._fetcher = KafkaFetcher(base, f"{topic_prefix}ksql-reader-{uuid.uuid4().hex}")
        self.offsets = KafkaOffsetStore(self._admin, prefix=topic_prefix)
        self._epoch = EpochProducer(bootstrap_servers, dict(client_config or {}))
        self._init_notifier()
        self._sticky = 0
        self._closed = False

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> KafkaTopicLog:
        """Build from engine properties: `bootstrap.servers`, `ksql.kafka.topic.prefix`,
        `ksql.kafka.topic.config.<name>` (defaults for created topics), client settings."""
        props = {str(k): str(v) for k, v in properties.items()}
        config_prefix = "ksql.kafka.topic.config."
        return cls(
            props["bootstrap.servers"],
            topic_prefix=props.get("ksql.kafka.topic.prefix", ""),
            topic_config={
                k[len(config_prefix) :]: v for k, v in props.items() if k.startswith(config_prefix)
            },
            client_config={k: v for k, v in props.items() if k.startswith(CLIENT_PREFIXES)},
        )

    # Topics --------------------------------------------------------------------------------

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replicas: int = 1,
        config: Mapping[str, str] | None = None,
    ) -> TopicInfo:
        self._check_open()
        return self.topics.create(name, partitions, replicas, config)

    def topic_exists(self, name: str) -> bool:
        self._check_open()
        return self.topics.exists(name)

    def describe_topic(self, name: str) -> TopicInfo:
        self._check_open()
        return self.topics.describe(name)

    def list_topics(self) -> list[TopicInfo]:
        self._check_open()
        return self.topics.list()

    def delete_topic(self, name: str) -> None:
        self._check_open()
        self.topics.delete(name)
        self._fetcher.forget_topic(self.prefix + name)
        self._notify()

    # Records -------------------------------------------------------------------------------

    def append(self, topic: str, partition: int, batch: pa.RecordBatch | pa.Table) -> int:
        """Append all records to one partition; returns the offset of the first one."""
        self._partition_count(topic, partition)
        records = normalize(batch)
        if records.num_rows == 0:
            return self.end_offset(topic, partition)
        parts = np.full(records.num_rows, partition, dtype=np.int32)
        return self._send(topic, records, parts)[partition]

    def produce(self, topic: str, batch: pa.RecordBatch | pa.Table) -> None:
        """Send records placed by their `partition` column, else by Kafka's partitioner."""
        n = self.describe_topic(topic).partitions
        records, parts = place_records(batch, topic, n, lambda: self._next_sticky(n))
        if records.num_rows == 0:
            return
        self._send(topic, records, parts)

    def _next_sticky(self, n: int) -> int:
        p = self._sticky % n
        self._sticky += 1
        return p

    def _send(self, topic: str, records: pa.RecordBatch, parts: np.ndarray) -> dict[int, int]:
        """Produce and wait for acknowledgement; returns the first offset per partition."""
        self._check_open()
        full = self.prefix + topic
        errors: list = []
        firsts: dict[int, int] = {}
        lasts: dict[int, int] = {}

        def on_error(err, _msg) -> None:
            if err is not None:
                errors.append(err)

        def on_edge(err, msg) -> None:
            # Only the first and last record per partition report their offsets.
            if err is not None:
                errors.append(err)
                return
            p, o = msg.partition(), msg.offset()
            firsts[p] = min(firsts.get(p, o), o)
            lasts[p] = max(lasts.get(p, o), o)

        keys, values, timestamps, headers = python_fields(records)
        plist = parts.tolist()
        edge = _edges(parts)
        produce = self._producer.produce
        for start, stop, epoch in self._runs(records):
            if epoch:
                # Timestamp 0 goes through the epoch producer, after what is queued here.
                self._flush_confluent(topic, errors)
                rows = zip(keys[start:stop], values[start:stop], plist[start:stop],
                           headers[start:stop], strict=True)  # fmt: skip
                for p, o in self._epoch.send(full, list(rows)):
                    firsts[p] = min(firsts.get(p, o), o)
                    lasts[p] = max(lasts.get(p, o), o)
                continue
            for i in range(start, stop):
                callback = on_edge if edge[i] else on_error
                k, v, ts, h, p = keys[i], values[i], timestamps[i], headers[i], plist[i]
                while True:
                    try:
                        produce(full, v, k, partition=p, timestamp=ts, headers=h,
                                on_delivery=callback)  # fmt: skip
                        break
                    except BufferError:
                        self._producer.poll(0.05)  # the local queue is full: let it drain
                    except KafkaException as error:
                        raise TopicError(f"Could not produce to '{topic}': {error}") from None
        self._flush_confluent(topic, errors)
        self._notify([(topic, p, o + 1) for p, o in lasts.items()])
        return firsts

    def _runs(self, records: pa.RecordBatch) -> list[tuple[int, int, bool]]:
        """[start, stop) row ranges, True where every timestamp is 0 (see kafka_epoch.py).

        aiokafka refuses a record with neither key nor value: such a record keeps librdkafka's
        "now" even with timestamp 0.
        """
        n = records.num_rows
        zero = records.column(2).to_numpy() == 0
        no_key = records.column(0).is_null().to_numpy(zero_copy_only=False)
        no_value = records.column(1).is_null().to_numpy(zero_copy_only=False)
        zero &= ~(no_key & no_value)
        if not zero.any():
            return [(0, n, False)]
        if not self._epoch.available:
            self._epoch.warn_once()
            return [(0, n, False)]
        cuts = np.flatnonzero(np.diff(zero.astype(np.int8))) + 1
        bounds = [0, *cuts.tolist(), n]
        return [(a, b, bool(zero[a])) for a, b in itertools.pairwise(bounds)]

    def _flush_confluent(self, topic: str, errors: list) -> None:
        left = self._producer.flush(FLUSH_TIMEOUT_S)
        if left:
            raise TopicError(f"{left} records to '{topic}' were not acknowledged in time")
        if errors:
            raise TopicError(f"Could not produce to '{topic}': {errors[0].str()}")

    def read(
        self, topic: str, partition: int, offset: int, max_records: int = 65536
    ) -> pa.RecordBatch:
        """Records from `offset` on (or the earliest still kept), with partition and offset."""
        self._partition_count(topic, partition)
        low, high = self._fetcher.watermarks(self.prefix + topic, partition)
        start = max(int(offset), low)
        return self._fetcher.read(self.prefix + topic, partition, start, int(max_records), high)

    def start_offset(self, topic: str, partition: int) -> int:
        self._partition_count(topic, partition)
        return self._fetcher.watermarks(self.prefix + topic, partition)[0]

    def end_offset(self, topic: str, partition: int) -> int:
        """The next offset to be written (the high watermark)."""
        self._partition_count(topic, partition)
        return self._fetcher.watermarks(self.prefix + topic, partition)[1]

    def offset_for_timestamp(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        """Earliest offset with timestamp >= `timestamp_ms`, or None (Kafka's offsetsForTimes)."""
        self._partition_count(topic, partition)
        return self._fetcher.offset_for_timestamp(self.prefix + topic, partition, timestamp_ms)

    # Cleanup: the brokers apply retention and compaction themselves -------------------------

    def apply_retention(self, topic: str | None = None) -> int:
        return 0

    def compact(self, topic: str) -> int:
        info = self.describe_topic(topic)
        if "compact" not in info.config.get("cleanup.policy", ""):
            raise TopicError(f"Topic '{topic}' does not have cleanup.policy=compact")
        return 0

    def flush(self) -> None:
        self._producer.flush(FLUSH_TIMEOUT_S)

    # Lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        # Step: deliver what is queued, then release every client's threads and sockets.
        self._producer.flush(FLUSH_TIMEOUT_S)
        self._producer.close()
        self._epoch.close()
        self._fetcher.close()
        self.offsets.close()
        self.topics.admin = None
        self._admin = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ExecutionError(f"The Kafka topic log at {self.bootstrap_servers} is closed")

    def _partition_count(self, topic: str, partition: int) -> int:
        n = self.describe_topic(topic).partitions
        if not 0 <= partition < n:
            raise TopicError(
                f"Partition {partition} does not exist in topic '{topic}' ({n} partitions)"
            )
        return n


def _edges(parts: np.ndarray) -> np.ndarray:
    """True at the first and last row of each partition, where offsets are reported."""
    edge = np.zeros(len(parts), dtype=bool)
    for p in np.unique(parts):
        rows = np.flatnonzero(parts == p)
        edge[rows[0]] = edge[rows[-1]] = True
    return edge.tolist()
