"""An example source connector written against ksql's connector API (ksql/connect/api.py).

Put this file in the directory named by `ksql.extension.dir` and create it with:

    CREATE SOURCE CONNECTOR numbers WITH (
        'connector.class' = 'RandomNumbersConnector',
        'topic' = 'numbers', 'count' = '1000', 'seed' = '7',
        'value.converter' = 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable' = 'false');

Each record's value is {"n": <sequence>, "value": <random 0-99>}; its offset is the sequence, so
after a restart the connector goes on where it stopped, and `offset_order` lets the runtime
write every record exactly once even after a crash.
"""

from __future__ import annotations

import random
import time

from ksql.connect.api import (
    INT64,
    ConfigError,
    Schema,
    SourceConnector,
    SourceRecord,
    SourceTask,
    struct_schema,
)
from ksql.connect.config import REQUIRED, ConfigDef, ConfigKey, at_least

CONFIG = ConfigDef([
    ConfigKey("topic", default=REQUIRED, doc="The topic to write to"),
    ConfigKey("count", "LONG", 100, "How many numbers to write", valid=at_least(0)),
    ConfigKey("seed", "LONG", 0, "The random generator's seed"),
    ConfigKey("batch.size", "INT", 100, "Records per poll", valid=at_least(1)),
])
VALUE = struct_schema([("n", Schema(INT64)), ("value", Schema(INT64))], name="Number")


class RandomNumbersTask(SourceTask):
    def start(self, config, context):
        settings = CONFIG.parse(config)
        self.topic, self.count = settings["topic"], settings["count"]
        self.batch, self.seed = settings["batch.size"], settings["seed"]
        self.partition = {"generator": self.topic}
        stored = context.offset(self.partition)
        self.next = stored["n"] if stored else 0

    def poll(self):
        if self.next >= self.count:
            time.sleep(0.1)  # done: idle without spinning
            return []
        records = []
        for n in range(self.next, min(self.count, self.next + self.batch)):
            value = random.Random(self.seed * 1_000_003 + n).randint(0, 99)  # same on re-read
            records.append(SourceRecord(
                self.topic, key=None, value={"n": n, "value": value}, value_schema=VALUE,
                source_partition=self.partition, source_offset={"n": n + 1},
            ))
        self.next += len(records)
        return records

    def offset_order(self, source_partition, offset):
        return (offset["n"],)


class RandomNumbersConnector(SourceConnector):
    task_class = RandomNumbersTask

    def config_def(self):
        return CONFIG

    def validate(self, config):
        super().validate(config)
        if not config.get("topic", "").strip():
            raise ConfigError('Invalid value "" for configuration topic: must not be empty')
