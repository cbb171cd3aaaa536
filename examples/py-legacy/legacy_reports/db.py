"""The connection, as this code base has always made it: fixed host, port and credentials."""
import os
import sqlite3
import tempfile

HOST = "127.0.0.1"
PORTS = {"mysql": 3306, "postgres": 5432}
USER = "legacy"
PASSWORD = "legacy-pw"
DATABASE = "legacy_test"

BACKEND = os.environ.get("LEGACY_BACKEND", "mysql")
SQLITE_FILE = os.path.join(tempfile.gettempdir(), "legacy_test.sqlite")


def connect():
    """(connection, quarry dialect) for LEGACY_BACKEND."""
    if BACKEND == "sqlite":
        return sqlite3.connect(SQLITE_FILE), "sqlite"
    if BACKEND == "mysql":
        import pymysql

        conn = pymysql.connect(host=HOST, port=PORTS["mysql"], user=USER, password=PASSWORD, database=DATABASE)
        return conn, "mysql"
    if BACKEND == "postgres":
        import psycopg2

        conn = psycopg2.connect(host=HOST, port=PORTS["postgres"], user=USER, password=PASSWORD, dbname=DATABASE)
        return conn, "postgres"
    raise RuntimeError(f"LEGACY_BACKEND must be mysql, postgres or sqlite, not {BACKEND!r}")
