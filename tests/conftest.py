"""Fixtures shared by test modules: one Kafka-protocol broker for the whole test session."""

from __future__ import annotations

import os

import pytest

from ksql.storage.kafka_broker import BrokerUnavailable, NoidaBroker


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


def pytest_addoption(parser):
    parser.addoption(
        "--update", action="store_true", default=False,
        help="rewrite golden files (tests/golden/) from the current output instead of comparing",
    )
