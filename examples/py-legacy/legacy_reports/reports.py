"""Orders and the reports finance asks for."""
from collections import defaultdict

import quarry

ORDERS_DDL = (
    "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, region CHAR(2) NOT NULL,"
    " customer VARCHAR(100) NOT NULL, total_cents INTEGER NOT NULL, placed_on CHAR(10) NOT NULL)"
)


class OrderBook:
    def __init__(self, conn, dialect):
        self.conn = conn
        self.dialect = dialect

    def _run(self, stmt, fetch=False):
        cur = self.conn.cursor()
        try:
            cur.execute(*stmt)
            rows = [tuple(r) for r in cur.fetchall()] if fetch else None
            self.conn.commit()
            return rows
        except Exception:
            self.conn.rollback()
            raise
        finally:
            cur.close()

    def reset(self):
        self._run(("DROP TABLE IF EXISTS orders", ()))
        self._run((ORDERS_DDL, ()))

    def drop(self):
        self._run(("DROP TABLE IF EXISTS orders", ()))

    def regions(self):
        return dict(self._run(quarry.select(self.dialect, "regions", columns=["code", "name"], order_by=["code"]), fetch=True))

    def record(self, id, region, customer, total_cents, placed_on):
        if region not in self.regions():
            raise ValueError(f"unknown region {region!r}")
        row = {"id": id, "region": region, "customer": customer, "total_cents": total_cents, "placed_on": placed_on}
        self._run(quarry.insert(self.dialect, "orders", row))

    def orders_in(self, region):
        stmt = quarry.select(self.dialect, "orders", columns=["id", "customer", "total_cents"], where={"region": region}, order_by=["id"])
        return self._run(stmt, fetch=True)

    def latest(self, n):
        stmt = quarry.select(self.dialect, "orders", columns=["id"], order_by=["-placed_on", "-id"], limit=n)
        return [r[0] for r in self._run(stmt, fetch=True)]

    def totals_by_region(self):
        totals = defaultdict(int)
        for region, cents in self._run(quarry.select(self.dialect, "orders", columns=["region", "total_cents"]), fetch=True):
            totals[region] += cents
        return {self.regions()[code]: cents for code, cents in sorted(totals.items())}

    def current_user(self):
        query = {"mysql": "SELECT CURRENT_USER()", "postgres": "SELECT current_user", "sqlite": "SELECT 'sqlite'"}[self.dialect]
        return self._run((query, ()), fetch=True)[0][0]
