import pathlib

import pytest
import quarry

from legacy_reports import BACKEND, OrderBook, connect
from legacy_reports.db import SQLITE_FILE

SETUP_SQL = pathlib.Path(__file__).parent.parent / "sql" / "regions.sql"


def pytest_report_header(config):
    return f"quarry {quarry.__version__}; LEGACY_BACKEND={BACKEND}"


def _sqlite_dba_setup():
    """No DBA on SQLite: run their script on a fresh file."""
    import os
    import sqlite3

    if os.path.exists(SQLITE_FILE):
        os.remove(SQLITE_FILE)
    conn = sqlite3.connect(SQLITE_FILE)
    conn.executescript(SETUP_SQL.read_text())
    conn.close()


@pytest.fixture(scope="session")
def connection():
    if BACKEND == "sqlite":
        _sqlite_dba_setup()
    conn, dialect = connect()
    yield conn, dialect
    conn.close()


@pytest.fixture
def book(connection):
    orders = OrderBook(*connection)
    orders.reset()
    yield orders
    orders.drop()
