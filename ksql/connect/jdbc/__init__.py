"""The JDBC connectors: Kafka Connect's JdbcSourceConnector (tables or a query to topics, in bulk
or incrementally by an incrementing and/or timestamp column) and JdbcSinkConnector (topics to
tables: insert, upsert, update, delete; exactly once through positions kept in the target).

They speak to PostgreSQL (psycopg), SQLite (sqlite3) and DuckDB (duckdb), chosen by the
`connection.url` (`jdbc:postgresql://...`, `jdbc:sqlite:...`, `jdbc:duckdb:...`).

- `urls`: `connection.url` -> which database and how to reach it; `options`: the shared keys;
- `dialects`: what every database does alike (the base `Dialect`, table and column records);
  `postgres`, `sqlite`, `duck`: one module per database (connections, catalog, bulk writes);
- `schemas`, `values`: Connect schemas, and values converted to a schema's Python form;
- `source_config`, `querier`, `source`: the source connector;
- `sink_config`, `sink_fields`, `sink_tables`, `sink_writer`, `sink`: the sink connector.
"""

PLUGINS = {
    "io.confluent.connect.jdbc.JdbcSourceConnector": "ksql.connect.jdbc.source:JdbcSourceConnector",
    "io.confluent.connect.jdbc.JdbcSinkConnector": "ksql.connect.jdbc.sink:JdbcSinkConnector",
}
