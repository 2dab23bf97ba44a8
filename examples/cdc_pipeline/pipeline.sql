-- The example pipeline: PostgreSQL changes -> ksql -> another PostgreSQL database.
-- Variables (DEFINE them, or pass them as the REST request's sessionVariables):
--   pg_host, pg_port, pg_user, pg_password, source_db, target_db

-- 1. Change data capture of the shop database: a snapshot, then every insert, update and
--    delete, flattened to the row's new state, keyed by the primary key. A delete becomes a
--    tombstone, which deletes the row from a table.
CREATE SOURCE CONNECTOR shop_cdc WITH (
    'connector.class' = 'io.debezium.connector.postgresql.PostgresConnector',
    'database.hostname' = '${pg_host}',
    'database.port' = '${pg_port}',
    'database.user' = '${pg_user}',
    'database.password' = '${pg_password}',
    'database.dbname' = '${source_db}',
    'topic.prefix' = 'shop',
    'table.include.list' = 'public.customers,public.orders',
    'slot.name' = 'ksql_${source_db}',  -- a replication slot is per server: one per database
    'publication.name' = 'ksql_shop',
    'time.precision.mode' = 'connect',
    'transforms' = 'unwrap,key',
    'transforms.unwrap.type' = 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.drop.tombstones' = 'false',
    'transforms.key.type' = 'org.apache.kafka.connect.transforms.ExtractField$Key',
    'transforms.key.field' = 'id',
    'key.converter' = 'org.apache.kafka.connect.converters.IntegerConverter',
    'value.converter' = 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable' = 'false'
);

-- 2. The captured tables, as a ksql table and a stream (event time: the order's created_at).
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR, region VARCHAR)
    WITH (KAFKA_TOPIC = 'shop.public.customers', PARTITIONS = 1, VALUE_FORMAT = 'JSON');

CREATE STREAM orders (id INT KEY, customer_id INT, amount INT, created_at BIGINT)
    WITH (KAFKA_TOPIC = 'shop.public.orders', PARTITIONS = 1, VALUE_FORMAT = 'JSON',
          TIMESTAMP = 'created_at');

-- 3. A stream-table join: every order with its customer's region.
CREATE STREAM orders_enriched AS
    SELECT o.id AS order_id, o.customer_id AS customer_id, c.region AS region, o.amount AS amount
    FROM orders o JOIN customers c ON o.customer_id = c.id
    EMIT CHANGES;

-- 4. A windowed aggregation: orders and revenue per region and hour.
CREATE TABLE revenue_by_region WITH (KAFKA_TOPIC = 'revenue_by_region', VALUE_FORMAT = 'JSON') AS
    SELECT region, AS_VALUE(region) AS region_name, WINDOWSTART AS window_start,
           COUNT(*) AS orders, SUM(amount) AS revenue
    FROM orders_enriched WINDOW TUMBLING (SIZE 1 HOUR)
    GROUP BY region
    EMIT CHANGES;

-- 5. A table derived from the customers table: deletes flow through as tombstones.
CREATE TABLE customer_directory WITH (KAFKA_TOPIC = 'customer_directory', VALUE_FORMAT = 'JSON') AS
    SELECT id, name, UCASE(region) AS region FROM customers
    EMIT CHANGES;

-- 6. Both results into the warehouse database, upserted by key; the tables are created from
--    the ksql tables' columns, and a tombstone deletes its row.
CREATE SINK CONNECTOR warehouse_revenue WITH (
    'connector.class' = 'io.confluent.connect.jdbc.JdbcSinkConnector',
    'connection.url' = 'jdbc:postgresql://${pg_host}:${pg_port}/${target_db}',
    'connection.user' = '${pg_user}',
    'connection.password' = '${pg_password}',
    'topics' = 'revenue_by_region',
    'table.name.format' = 'revenue_by_region',
    'insert.mode' = 'upsert',
    'pk.mode' = 'record_value',
    'pk.fields' = 'REGION_NAME,WINDOW_START',
    'auto.create' = 'true',
    'key.converter' = 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter' = 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable' = 'false'
);

CREATE SINK CONNECTOR warehouse_customers WITH (
    'connector.class' = 'io.confluent.connect.jdbc.JdbcSinkConnector',
    'connection.url' = 'jdbc:postgresql://${pg_host}:${pg_port}/${target_db}',
    'connection.user' = '${pg_user}',
    'connection.password' = '${pg_password}',
    'topics' = 'customer_directory',
    'table.name.format' = 'customer_directory',
    'insert.mode' = 'upsert',
    'pk.mode' = 'record_key',
    'pk.fields' = 'ID',
    'delete.enabled' = 'true',
    'auto.create' = 'true',
    'key.converter' = 'org.apache.kafka.connect.converters.IntegerConverter',
    'value.converter' = 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable' = 'false'
);
