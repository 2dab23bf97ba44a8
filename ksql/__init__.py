"""ksql: a streaming SQL engine in the style of ksqlDB. `ksql.Engine` is the embedded engine
(ksql/engine.py), imported on first use so that `import ksql.<module>` stays light."""


def __getattr__(name: str):
    if name == "Engine":
        from ksql.engine import Engine

        return Engine
    raise AttributeError(f"module 'ksql' has no attribute {name!r}")
