"""Connectors inside ksql: Kafka Connect's model (connectors run as tasks, single message
transforms, converters) for moving data between topics and databases, files and HTTP.

- `api`: the plug-in API (records, schemas, base classes, errors);
- `config`: typed configuration (Kafka's ConfigDef);
- `plugins`: finding a plug-in class by its Java or Python name;
- `jdbc`, `debezium`, `file`, `http`: the built-in connectors;
- `transforms`, `converters`: the built-in SMTs, predicates and converters.
"""
