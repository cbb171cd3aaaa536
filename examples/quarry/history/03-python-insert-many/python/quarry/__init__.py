"""quarry: INSERT, SELECT and upsert statements for SQLite, MySQL/MariaDB and PostgreSQL.

Each builder returns a :class:`Statement` (``sql``, ``params``) with the placeholders the DB-API
drivers take: ``?`` for sqlite3, ``%s`` for PyMySQL and psycopg2.
"""
from .statements import DIALECTS, QuarryError, Statement, insert, insert_many, select, upsert

__version__ = "1.0.0"

__all__ = ["DIALECTS", "QuarryError", "Statement", "insert", "insert_many", "select", "upsert", "__version__"]
