"""Fixtures of the JDBC connector tests: a fresh database of each kind the connectors support
(PostgreSQL from the session's server, SQLite and DuckDB files), or a PostgreSQL one alone."""

from __future__ import annotations

import pytest

from tests.connect.jdbc_fakes import open_database


@pytest.fixture(params=["postgresql", "sqlite", "duckdb"])
def db(request, tmp_path):
    postgres = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    database = open_database(request.param, postgres, tmp_path)
    yield database
    database.conn.close()


@pytest.fixture
def pg(postgres, tmp_path):
    database = open_database("postgresql", postgres, tmp_path)
    yield database
    database.conn.close()
