"""quarry's own tests: the SQL for every dialect, and the statements run for real on SQLite."""
import pathlib
import sqlite3
import tomllib

import pytest

import quarry


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:")
    c.execute('CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL, bin TEXT)')
    yield c
    c.close()


def run(conn, stmt):
    return conn.execute(stmt.sql, stmt.params).fetchall()


def test_version_matches_pyproject():
    meta = tomllib.loads((pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert quarry.__version__ == meta["project"]["version"]


def test_placeholders_per_driver():
    row = {"sku": "A-1", "qty": 2}
    assert quarry.insert("sqlite", "stock", row) == ('INSERT INTO "stock" ("sku", "qty") VALUES (?, ?)', ("A-1", 2))
    assert quarry.insert("mysql", "stock", row).sql == "INSERT INTO `stock` (`sku`, `qty`) VALUES (%s, %s)"
    assert quarry.insert("postgres", "stock", row).sql == 'INSERT INTO "stock" ("sku", "qty") VALUES (%s, %s)'


def test_upsert_sql_per_dialect():
    row = {"sku": "A-1", "qty": 2}
    assert quarry.upsert("mysql", "stock", row, key=["sku"]).sql == (
        # Not the row alias: MariaDB rejects it (1.1.0).
        "INSERT INTO `stock` (`sku`, `qty`) VALUES (%s, %s) ON DUPLICATE KEY UPDATE `qty` = VALUES(`qty`)"
    )
    assert quarry.upsert("postgres", "stock", row, key=["sku"]).sql == (
        'INSERT INTO "stock" ("sku", "qty") VALUES (%s, %s) ON CONFLICT ("sku") DO UPDATE SET "qty" = excluded."qty"'
    )


def test_insert_and_select_on_sqlite(conn):
    run(conn, quarry.insert("sqlite", "stock", {"sku": "B-2", "qty": 7, "bin": None}))
    run(conn, quarry.insert("sqlite", "stock", {"sku": "A-1", "qty": 3, "bin": "north"}))
    assert run(conn, quarry.select("sqlite", "stock", columns=["sku"], order_by=["sku"])) == [("A-1",), ("B-2",)]
    assert run(conn, quarry.select("sqlite", "stock", columns=["sku"], where={"bin": None})) == [("B-2",)]
    assert run(conn, quarry.select("sqlite", "stock", columns=["qty"], order_by=["-qty"], limit=1)) == [(7,)]


def test_insert_many_on_sqlite(conn):
    run(conn, quarry.insert_many("sqlite", "stock", [{"sku": "A-1", "qty": 1}, {"sku": "B-2", "qty": 2}]))
    assert run(conn, quarry.select("sqlite", "stock", columns=["sku", "qty"], order_by=["sku"])) == [("A-1", 1), ("B-2", 2)]
    with pytest.raises(quarry.QuarryError):
        quarry.insert_many("sqlite", "stock", [{"sku": "A-1"}, {"qty": 2}])


def test_select_without_filters_and_with_a_zero_limit(conn):
    run(conn, quarry.insert("sqlite", "stock", {"sku": "A-1", "qty": 3}))
    assert run(conn, quarry.select("sqlite", "stock", columns=["sku"], where={})) == [("A-1",)]
    assert run(conn, quarry.select("sqlite", "stock", limit=0)) == []
    with pytest.raises(quarry.QuarryError):
        quarry.select("sqlite", "stock", limit=-1)


def test_upsert_on_sqlite(conn):
    run(conn, quarry.upsert("sqlite", "stock", {"sku": "A-1", "qty": 3}, key=["sku"]))
    run(conn, quarry.upsert("sqlite", "stock", {"sku": "A-1", "qty": 5}, key=["sku"]))
    assert run(conn, quarry.select("sqlite", "stock", columns=["sku", "qty"])) == [("A-1", 5)]


def test_refuses_bad_input():
    with pytest.raises(quarry.QuarryError):
        quarry.insert("sqlite", 'stock"; DROP TABLE x; --', {"sku": "A"})
    with pytest.raises(quarry.QuarryError):
        quarry.insert("oracle", "stock", {"sku": "A"})
    with pytest.raises(quarry.QuarryError):
        quarry.upsert("sqlite", "stock", {"qty": 1}, key=["sku"])
    with pytest.raises(quarry.QuarryError):
        quarry.select("sqlite", "stock", limit=-1)
