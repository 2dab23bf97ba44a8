"""The ksql grammar (ksql.lark), shipped as package data."""
