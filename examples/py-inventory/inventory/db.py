"""A DB-API connection picked by URL, with the quarry dialect that matches it."""
import os
import sqlite3
import tempfile
from urllib.parse import unquote, urlsplit


class Database:
    def __init__(self, conn, dialect, integrity_errors):
        self.conn = conn
        self.dialect = dialect
        #: What the driver raises on a duplicate key.
        self.IntegrityError = integrity_errors

    def execute(self, stmt):
        """Runs a quarry Statement (or an (sql, params) pair) and commits."""
        sql, params = stmt
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
            self.conn.commit()
        except Exception:
            self.conn.rollback()
            raise
        finally:
            cur.close()

    def fetchall(self, stmt):
        sql, params = stmt
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
            rows = cur.fetchall()
            self.conn.commit()
            return [tuple(r) for r in rows]
        except Exception:
            self.conn.rollback()
            raise
        finally:
            cur.close()

    def script(self, *statements):
        for sql in statements:
            self.execute((sql, ()))

    def close(self):
        self.conn.close()


def connect(url=None):
    """Connects to DATABASE_URL (or `url`); without either, to a SQLite file in a temporary directory."""
    url = url or os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "inventory.sqlite")
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        conn = sqlite3.connect(parts.path)
        return Database(conn, "sqlite", (sqlite3.IntegrityError,))
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    database = unquote(parts.path.lstrip("/"))
    if scheme == "mysql":
        import pymysql

        conn = pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=user, password=password, database=database,
            charset="utf8mb4",
        )
        return Database(conn, "mysql", (pymysql.err.IntegrityError,))
    if scheme in ("postgresql", "postgres"):
        import psycopg2

        conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=user, password=password, dbname=database)
        return Database(conn, "postgres", (psycopg2.IntegrityError,))
    raise ValueError(f"unsupported DATABASE_URL scheme {parts.scheme!r}")
