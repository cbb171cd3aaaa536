import re
from typing import Any, Iterable, Mapping, NamedTuple, Optional, Sequence


class QuarryError(ValueError):
    """A statement that cannot be built: unknown dialect, bad identifier, missing key."""


class Statement(NamedTuple):
    sql: str
    params: tuple


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# dialect -> (identifier quote character, placeholder)
_STYLES = {
    "sqlite": ('"', "?"),
    "mysql": ("`", "%s"),
    "postgres": ('"', "%s"),
}

DIALECTS = tuple(_STYLES)


class _Builder:
    def __init__(self, dialect: str):
        if dialect not in _STYLES:
            raise QuarryError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
        self.dialect = dialect
        self._quote, self._placeholder = _STYLES[dialect]
        self.params: list = []

    def q(self, identifier: str) -> str:
        if not isinstance(identifier, str) or not _IDENTIFIER.match(identifier):
            raise QuarryError(f"not a plain identifier: {identifier!r}")
        return f"{self._quote}{identifier}{self._quote}"

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return self._placeholder

    def done(self, sql: str) -> Statement:
        return Statement(sql, tuple(self.params))


def _columns(row: Mapping[str, Any]) -> list:
    columns = list(row or {})
    if not columns:
        raise QuarryError("a row needs at least one column")
    return columns


def insert(dialect: str, table: str, row: Mapping[str, Any]) -> Statement:
    """``INSERT INTO t (a, b) VALUES (?, ?)``"""
    b = _Builder(dialect)
    columns = _columns(row)
    values = [b.bind(row[c]) for c in columns]
    return b.done(f"INSERT INTO {b.q(table)} ({', '.join(map(b.q, columns))}) VALUES ({', '.join(values)})")


def insert_many(dialect: str, table: str, rows: Sequence[Mapping[str, Any]]) -> Statement:
    """``INSERT INTO t (a, b) VALUES (?, ?), (?, ?)``: one statement for many rows with the same columns."""
    b = _Builder(dialect)
    rows = list(rows or [])
    if not rows:
        raise QuarryError("insert_many needs at least one row")
    columns = _columns(rows[0])
    tuples = []
    for i, row in enumerate(rows):
        if set(row) != set(columns):
            raise QuarryError(f"row {i} does not have the columns of the first row ({', '.join(columns)})")
        tuples.append("(" + ", ".join(b.bind(row[c]) for c in columns) + ")")
    return b.done(f"INSERT INTO {b.q(table)} ({', '.join(map(b.q, columns))}) VALUES {', '.join(tuples)}")


def select(
    dialect: str,
    table: str,
    columns: Optional[Sequence[str]] = None,
    where: Optional[Mapping[str, Any]] = None,
    order_by: Optional[Iterable[str]] = None,
    limit: Optional[int] = None,
) -> Statement:
    """``SELECT ... FROM t WHERE a = ? AND b IS NULL ORDER BY c DESC LIMIT 10``

    ``where`` compares for equality (``None`` means IS NULL); an ``order_by`` entry ``-c`` sorts by c
    descending.
    """
    b = _Builder(dialect)
    sql = f"SELECT {', '.join(map(b.q, columns)) if columns else '*'} FROM {b.q(table)}"
    conditions = [
        f"{b.q(column)} IS NULL" if value is None else f"{b.q(column)} = {b.bind(value)}"
        for column, value in (where or {}).items()
    ]
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    order = [f"{b.q(o[1:])} DESC" if o.startswith("-") else b.q(o) for o in (order_by or [])]
    if order:
        sql += " ORDER BY " + ", ".join(order)
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise QuarryError(f"limit must be a non-negative integer, not {limit!r}")
        sql += f" LIMIT {limit}"
    return b.done(sql)


def upsert(dialect: str, table: str, row: Mapping[str, Any], key: Sequence[str]) -> Statement:
    """Inserts the row, or, when a row with the same unique key exists, updates its other columns.

    ``key`` names the columns of the unique key (primary key or UNIQUE) that conflicts.
    """
    b = _Builder(dialect)
    columns = _columns(row)
    key = list(key or [])
    if not key:
        raise QuarryError("upsert needs the columns of a unique key: key=[...]")
    for k in key:
        if k not in columns:
            raise QuarryError(f"key column {k!r} is not in the row")
    values = [b.bind(row[c]) for c in columns]
    updated = [c for c in columns if c not in key]
    sql = f"INSERT INTO {b.q(table)} ({', '.join(map(b.q, columns))}) VALUES ({', '.join(values)})"
    if dialect == "mysql":
        # VALUES() in ON DUPLICATE KEY UPDATE is deprecated since MySQL 8.0.20: refer to the new row
        # through a row alias instead (MySQL 8.0.19+).
        # Nothing to update still has to be a valid assignment: set the key to itself.
        assignments = [f"{b.q(c)} = new.{b.q(c)}" for c in (updated or key[:1])]
        sql += " AS new ON DUPLICATE KEY UPDATE " + ", ".join(assignments)
    else:
        sql += f" ON CONFLICT ({', '.join(map(b.q, key))})"
        if updated:
            sql += " DO UPDATE SET " + ", ".join(f"{b.q(c)} = excluded.{b.q(c)}" for c in updated)
        else:
            sql += " DO NOTHING"
    return b.done(sql)
