"""The properties of Kafka Streams and of Kafka's consumer, producer, admin client and topics
(Kafka 3.4, as ksqlDB 0.29 ships it), with the types and validators their ConfigDefs give."""

from __future__ import annotations

from ksql.properties.definitions import Definition, at_least, each_of, one_of, same_type

# Security settings every Kafka client takes (CommonClientConfigs, SslConfigs, SaslConfigs).
_SECURITY = {
    **same_type(
        "STRING",
        "security.protocol ssl.protocol ssl.provider ssl.cipher.suites ssl.enabled.protocols "
        "ssl.keystore.type ssl.keystore.location ssl.truststore.type ssl.truststore.location "
        "ssl.keymanager.algorithm ssl.trustmanager.algorithm ssl.endpoint.identification.algorithm "
        "ssl.secure.random.implementation sasl.mechanism sasl.kerberos.service.name "
        "sasl.kerberos.kinit.cmd sasl.oauthbearer.token.endpoint.url "
        "sasl.oauthbearer.jwks.endpoint.url sasl.oauthbearer.scope.claim.name "
        "sasl.oauthbearer.sub.claim.name sasl.oauthbearer.expected.audience "
        "sasl.oauthbearer.expected.issuer",
    ),
    **same_type(
        "PASSWORD",
        "ssl.keystore.password ssl.key.password ssl.truststore.password ssl.keystore.key "
        "ssl.keystore.certificate.chain ssl.truststore.certificates sasl.jaas.config",
    ),
    **same_type(
        "CLASS",
        "ssl.engine.factory.class sasl.client.callback.handler.class "
        "sasl.login.callback.handler.class sasl.login.class",
    ),
    **same_type(
        "DOUBLE",
        "sasl.kerberos.ticket.renew.jitter sasl.kerberos.ticket.renew.window.factor "
        "sasl.login.refresh.window.factor sasl.login.refresh.window.jitter",
    ),
    **same_type(
        "LONG",
        "sasl.kerberos.min.time.before.relogin sasl.login.retry.backoff.ms "
        "sasl.login.retry.backoff.max.ms sasl.oauthbearer.jwks.endpoint.refresh.ms "
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms "
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    ),
    **same_type(
        "SHORT", "sasl.login.refresh.min.period.seconds sasl.login.refresh.buffer.seconds"
    ),
    **same_type(
        "INT",
        "sasl.login.connect.timeout.ms sasl.login.read.timeout.ms "
        "sasl.oauthbearer.clock.skew.seconds",
    ),
}

# What every client (consumer, producer, admin) takes besides security (CommonClientConfigs).
_CLIENT = {
    **_SECURITY,
    **same_type("LIST", "bootstrap.servers metric.reporters"),
    **same_type("STRING", "client.id client.dns.lookup"),
    **same_type(
        "LONG",
        "connections.max.idle.ms metadata.max.age.ms metrics.sample.window.ms "
        "reconnect.backoff.ms reconnect.backoff.max.ms retry.backoff.ms "
        "socket.connection.setup.timeout.ms socket.connection.setup.timeout.max.ms",
    ),
    **same_type("INT", "metrics.num.samples receive.buffer.bytes send.buffer.bytes"),
    "request.timeout.ms": Definition("INT", at_least(0)),
    "metrics.recording.level": Definition("STRING", one_of("INFO", "DEBUG", "TRACE")),
    "auto.include.jmx.reporter": Definition("BOOLEAN"),
}

CONSUMER = {
    **_CLIENT,
    **same_type(
        "STRING", "group.id group.instance.id client.rack group.protocol group.remote.assignor"
    ),
    **same_type(
        "BOOLEAN",
        "enable.auto.commit check.crcs exclude.internal.topics allow.auto.create.topics",
    ),
    **same_type(
        "INT",
        "session.timeout.ms heartbeat.interval.ms max.partition.fetch.bytes fetch.min.bytes "
        "fetch.max.bytes fetch.max.wait.ms max.poll.interval.ms default.api.timeout.ms",
    ),
    **same_type("CLASS", "key.deserializer value.deserializer"),
    **same_type("LIST", "partition.assignment.strategy interceptor.classes"),
    "auto.commit.interval.ms": Definition("INT", at_least(0)),
    "max.poll.records": Definition("INT", at_least(1)),
    "auto.offset.reset": Definition("STRING", one_of("latest", "earliest", "none")),
    "isolation.level": Definition("STRING", one_of("read_committed", "read_uncommitted")),
}

PRODUCER = {
    **_CLIENT,
    **same_type(
        "INT",
        "batch.size max.request.size max.in.flight.requests.per.connection "
        "delivery.timeout.ms transaction.timeout.ms",
    ),
    **same_type(
        "LONG",
        "buffer.memory linger.ms max.block.ms metadata.max.idle.ms "
        "partitioner.availability.timeout.ms",
    ),
    **same_type(
        "BOOLEAN",
        "enable.idempotence partitioner.adaptive.partitioning.enable partitioner.ignore.keys",
    ),
    **same_type("CLASS", "key.serializer value.serializer partitioner.class"),
    **same_type("LIST", "interceptor.classes"),
    "transactional.id": Definition("STRING"),
    "retries": Definition("INT", at_least(0)),
    "acks": Definition("STRING", one_of("all", "-1", "0", "1")),
    "compression.type": Definition("STRING", one_of("none", "gzip", "snappy", "lz4", "zstd")),
}

ADMIN = {
    **_CLIENT,
    "retries": Definition("INT", at_least(0)),
    "default.api.timeout.ms": Definition("INT", at_least(0)),
}

TOPIC = {
    **same_type(
        "LONG",
        "segment.ms segment.jitter.ms flush.messages flush.ms retention.bytes retention.ms "
        "local.retention.bytes local.retention.ms delete.retention.ms min.compaction.lag.ms "
        "max.compaction.lag.ms file.delete.delay.ms message.timestamp.difference.max.ms",
    ),
    **same_type(
        "INT", "segment.bytes segment.index.bytes index.interval.bytes max.message.bytes"
    ),
    **same_type(
        "BOOLEAN",
        "preallocate unclean.leader.election.enable message.downconversion.enable "
        "remote.storage.enable",
    ),
    **same_type(
        "LIST",
        "leader.replication.throttled.replicas follower.replication.throttled.replicas",
    ),
    "min.cleanable.dirty.ratio": Definition("DOUBLE"),
    "min.insync.replicas": Definition("INT", at_least(1)),
    "message.format.version": Definition("STRING"),
    "message.timestamp.type": Definition("STRING", one_of("CreateTime", "LogAppendTime")),
    "cleanup.policy": Definition("LIST", each_of("compact", "delete")),
    "compression.type": Definition(
        "STRING", one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")
    ),
}

STREAMS = {
    **_CLIENT,
    **same_type(
        "STRING",
        "application.id application.server state.dir upgrade.from built.in.metrics.version "
        "rack.aware.assignment.strategy",
    ),
    **same_type(
        "CLASS",
        "default.deserialization.exception.handler default.production.exception.handler "
        "default.timestamp.extractor default.key.serde default.value.serde "
        "default.list.key.serde.inner default.list.key.serde.type "
        "default.list.value.serde.inner default.list.value.serde.type "
        "rocksdb.config.setter windowed.inner.class.serde default.client.supplier "
        "dsl.store.suppliers.class",
    ),
    **same_type(
        "LONG",
        "acceptable.recovery.lag max.task.idle.ms poll.ms probing.rebalance.interval.ms "
        "repartition.purge.interval.ms state.cleanup.delay.ms task.timeout.ms "
        "window.size.ms windowstore.changelog.additional.retention.ms",
    ),
    **same_type(
        "INT",
        "buffered.records.per.partition max.warmup.replicas num.standby.replicas "
        "rack.aware.assignment.non_overlap_cost rack.aware.assignment.traffic_cost retries",
    ),
    **same_type("LIST", "rack.aware.assignment.tags"),
    "cache.max.bytes.buffering": Definition("LONG", at_least(0)),
    "statestore.cache.max.bytes": Definition("LONG", at_least(0)),
    "commit.interval.ms": Definition("LONG", at_least(0)),
    "num.stream.threads": Definition("INT", at_least(1)),
    "replication.factor": Definition("INT", at_least(-1)),
    "default.dsl.store": Definition("STRING", one_of("rocksDB", "in_memory")),
    "processing.guarantee": Definition(
        "STRING", one_of("at_least_once", "exactly_once", "exactly_once_beta", "exactly_once_v2")
    ),
    "topology.optimization": Definition(
        "STRING",
        one_of(
            "all",
            "none",
            "reuse.ktable.source.topics",
            "merge.repartition.topics",
            "single.store.self.join",
        ),
    ),
    # Kafka Streams' internal settings that ksqlDB's own tests set.
    "__emit.interval.ms.kstreams.windowed.aggregation__": Definition("LONG"),
    "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__": Definition("LONG"),
}
