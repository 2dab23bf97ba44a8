"""ksqlDB's own properties (KsqlConfig, 0.29) that a session or request may set, with their
types and validators; `ksql.functions.` properties are free-form (a function's settings)."""

from __future__ import annotations

from ksql.properties.definitions import Definition, at_least, one_of, same_type

FUNCTIONS_PREFIX = "ksql.functions."

KSQL = {
    **same_type(
        "STRING",
        "ksql.service.id ksql.persistent.prefix ksql.transient.prefix "
        "ksql.output.topic.name.prefix ksql.schema.registry.url ksql.extension.dir "
        "ksql.persistence.default.format.key ksql.persistence.default.format.value "
        "ksql.metrics.tags.custom ksql.error.classifier.regex ksql.connect.url "
        "ksql.connect.worker.config ksql.connect.basic.auth.credentials.file "
        "ksql.logging.processing.topic.name ksql.logging.processing.stream.name "
        "ksql.metastore.backup.location ksql.queryanonymizer.cluster_namespace "
        "ksql.deployment.type",
    ),
    **same_type(
        "BOOLEAN",
        "ksql.udfs.enabled ksql.udf.enable.security.manager ksql.udf.collect.metrics "
        "ksql.persistence.wrap.single.values ksql.timestamp.throw.on.invalid "
        "ksql.pull.queries.enable ksql.query.pull.enable.standby.reads "
        "ksql.query.pull.table.scan.enabled ksql.query.pull.range.scan.enabled "
        "ksql.query.pull.stream.enabled ksql.query.pull.limit.clause.enabled "
        "ksql.query.pull.interpreter.enabled ksql.query.pull.metrics.enabled "
        "ksql.query.pull.consistency.token.enabled ksql.query.push.v2.enabled "
        "ksql.query.push.v2.registry.installed ksql.query.push.v2.alos.enabled "
        "ksql.query.push.v2.interpreter.enabled ksql.query.push.v2.continuation.tokens.enabled "
        "ksql.query.push.v2.metrics.enabled ksql.new.query.planner.enabled "
        "ksql.create.or.replace.enabled ksql.suppress.enabled ksql.variable.substitution.enable "
        "ksql.headers.columns.enabled ksql.cast.strings.preserve.nulls "
        "ksql.nested.error.set.null ksql.string.case.config.toggle "
        "ksql.rowpartition.rowoffset.enabled ksql.runtime.feature.shared.enabled "
        "ksql.source.table.materialization.enabled ksql.fail.on.deserialization.error "
        "ksql.fail.on.production.error ksql.logging.processing.topic.auto.create "
        "ksql.logging.processing.stream.auto.create ksql.logging.processing.rows.include "
        "ksql.windowed.session.key.legacy ksql.any.key.name.enabled "
        "ksql.json_sr.converter.deserializer.enabled ksql.lambdas.enabled "
        "ksql.connect.basic.auth.credentials.reload ksql.enable.metastore.backup "
        "ksql.queryanonymizer.logs_enabled ksql.insert.into.values.enabled "
        "ksql.endpoint.migrate.query ksql.transient.query.cleanup.service.enable "
        "ksql.client.ip.port.configuration.enabled ksql.plugins.rocksdb.cache.limit.strict",
    ),
    **same_type(
        "INT",
        "ksql.sink.partitions ksql.query.pull.max.concurrent.requests "
        "ksql.query.pull.max.hourly.bandwidth.megabytes ksql.query.pull.thread.pool.size "
        "ksql.query.pull.router.thread.pool.size "
        "ksql.query.push.v2.max.hourly.bandwidth.megabytes ksql.query.persistent.active.limit "
        "ksql.query.error.max.queue.size ksql.query.status.running.threshold.seconds "
        "ksql.shared.runtimes.count ksql.logging.processing.topic.partitions "
        "ksql.transient.query.cleanup.service.initial.delay.seconds "
        "ksql.transient.query.cleanup.service.period.seconds",
    ),
    **same_type(
        "SHORT",
        "ksql.sink.replicas ksql.internal.topic.replicas ksql.internal.topic.min.insync.replicas "
        "ksql.logging.processing.topic.replication.factor",
    ),
    **same_type(
        "LONG",
        "ksql.sink.window.change.log.additional.retention ksql.query.pull.max.allowed.offset.lag "
        "ksql.query.push.v2.new.latest.delay.ms ksql.query.push.v2.latest.reset.age.ms "
        "ksql.query.persistent.max.bytes.buffering.total "
        "ksql.query.transient.max.bytes.buffering.total ksql.query.retry.backoff.initial.ms "
        "ksql.query.retry.backoff.max.ms ksql.query.cleanup.shutdown.timeout.ms "
        "ksql.suppress.buffer.size.bytes ksql.authorization.cache.expiry.time.secs "
        "ksql.authorization.cache.max.entries ksql.connect.request.timeout.ms "
        "ksql.assert.topic.default.timeout.ms ksql.assert.schema.default.timeout.ms "
        "ksql.query.pull.forwarding.timeout.ms",
    ),
    **same_type(
        "LIST",
        "ksql.metric.reporters ksql.properties.overrides.denylist ksql.readonly.topics "
        "ksql.hidden.topics",
    ),
    **same_type(
        "CLASS",
        "ksql.metrics.extension ksql.security.extension.class "
        "ksql.connect.request.headers.plugin",
    ),
    "ksql.access.validator.enable": Definition("STRING", one_of("auto", "on", "off")),
    "ksql.connect.basic.auth.credentials.source": Definition(
        "STRING", one_of("NONE", "FILE", "USER_INFO")
    ),
    "ksql.query.pull.max.qps": Definition("INT", at_least(1)),
}
