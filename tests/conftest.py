"""Fixtures shared by test modules: one Kafka-protocol broker and one PostgreSQL server for the
whole test session."""

from __future__ import annotations

import os

import pytest

from ksql.storage.kafka_broker import BrokerUnavailable, NoidaBroker
from tests.support.postgres import PostgresServer, PostgresUnavailable


class ExternalBroker:
    """A cluster given by KSQL_TEST_KAFKA_BOOTSTRAP instead of a broker started here."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap


@pytest.fixture(scope="session")
def broker():
    """noida-db started once for the session (tests use unique topic names and service ids),
    or the cluster named by KSQL_TEST_KAFKA_BOOTSTRAP; skips when neither is available."""
    external = os.environ.get("KSQL_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield ExternalBroker(external)
        return
    try:
        b = NoidaBroker().start()
    except BrokerUnavailable as error:
        pytest.skip(f"Kafka-protocol broker could not start: {error}")
    yield b
    b.stop()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server (wal_level=logical) for the session; tests take their own
    databases from it with `create_database()`. Skips when PostgreSQL is not installed."""
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL could not start: {error}")
    yield server
    server.stop()


def pytest_addoption(parser):
    parser.addoption(
        "--update", action="store_true", default=False,
        help="rewrite golden files (tests/golden/) from the current output instead of comparing",
    )
