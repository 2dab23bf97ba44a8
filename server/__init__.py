"""ksql-server: ksqlDB's REST API over ksql.Engine (FastAPI on Hypercorn, HTTP/1.1 and h2c)."""
