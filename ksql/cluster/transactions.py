"""Exactly-once micro-batches (`processing.guarantee=exactly_once_v2`) on Kafka transactions.

`TransactionalLog` stands in for the topic log of one query: reads and topic calls go to the
shared log, while records produced during an open transaction (sink rows and changelog rows)
go through the query's transactional producer. A micro-batch commits its outputs, its changelog
records and its source offsets (`send_offsets_to_transaction` with the group's metadata, which
fences a member that lost the partitions) in one Kafka transaction, or aborts all of them.

librdkafka stamps records with timestamp 0 with the current time; the transactional path has
no aiokafka fallback for them (see kafka_epoch.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pyarrow as pa
from confluent_kafka import KafkaException, Producer

from ksql.errors import TopicError
from ksql.storage.placement import place_records
from ksql.storage.records import python_fields

_client_log = logging.getLogger("ksql.kafka.client")
TIMEOUT_S = 30.0


class TransactionalLog:
    """The shared topic log, except that produce() inside a transaction is transactional."""

    def __init__(self, log, transactional_id: str, properties: Mapping[str, str]) -> None:
        self._log = log
        self._conf = {
            "bootstrap.servers": log.bootstrap_servers,
            "logger": _client_log,
            "transactional.id": log.prefix + transactional_id,
            "enable.idempotence": True,
            "linger.ms": 5,
            "transaction.timeout.ms": properties.get("transaction.timeout.ms", "10000"),
            "queue.buffering.max.messages": 500_000,
        }
        self.producer = self._new_producer()
        self.open = False
        self._sticky = 0

    def _new_producer(self) -> Producer:
        producer = Producer(self._conf)
        producer.init_transactions(TIMEOUT_S)  # fences an older instance with the same id
        return producer

    def __getattr__(self, name: str):
        return getattr(self._log, name)

    def produce(self, topic: str, batch: pa.RecordBatch | pa.Table) -> None:
        if not self.open:
            self._log.produce(topic, batch)
            return
        n = self._log.describe_topic(topic).partitions
        records, parts = place_records(batch, topic, n, lambda: self._next_sticky(n))
        full = self._log.prefix + topic
        keys, values, timestamps, headers = python_fields(records)
        produce = self.producer.produce
        for k, v, ts, h, p in zip(keys, values, timestamps, headers, parts.tolist(), strict=True):
            while True:
                try:
                    produce(full, v, k, partition=p, timestamp=ts, headers=h)
                    break
                except BufferError:
                    self.producer.poll(0.05)
                except KafkaException as error:
                    raise TopicError(f"Could not produce to '{topic}': {error}") from None

    def _next_sticky(self, n: int) -> int:
        self._sticky += 1
        return self._sticky % n

    # Step 1: begin. Step 2: the query produces. Step 3: offsets + commit, or abort. --------

    def begin(self) -> None:
        self.producer.begin_transaction()
        self.open = True

    def commit(self, offsets: list, group_metadata) -> None:
        try:
            if offsets:
                self.producer.send_offsets_to_transaction(offsets, group_metadata, TIMEOUT_S)
            self.producer.commit_transaction(TIMEOUT_S)
        finally:
            self.open = False

    def abort(self) -> None:
        """Abort the open transaction; a producer in a fatal state is replaced."""
        self.open = False
        try:
            self.producer.abort_transaction(TIMEOUT_S)
        except KafkaException:
            try:
                self.producer.flush(1.0)
            except KafkaException:
                pass
            self.producer = self._new_producer()

    def close(self) -> None:
        if self.open:
            self.abort()
        self.producer.flush(5.0)
