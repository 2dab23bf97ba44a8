"""Debezium's PostgreSQL change data capture in Python: the source connector
(`postgres_source`, reading a logical replication slot through pgoutput) and the
ExtractNewRecordState transform that flattens its change events to row states."""

PLUGINS = {
    "io.debezium.connector.postgresql.PostgresConnector": (
        "ksql.connect.debezium.postgres_source:PostgresConnector"
    ),
    "io.debezium.transforms.ExtractNewRecordState": (
        "ksql.connect.debezium.extract_new_record_state:ExtractNewRecordState"
    ),
}
