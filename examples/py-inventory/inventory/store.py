"""The inventory: a product catalogue and stock counts per warehouse."""
from typing import List, NamedTuple, Optional

import quarry

SCHEMA = (
    "CREATE TABLE products (sku VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL,"
    " price_cents INTEGER NOT NULL)",
    "CREATE TABLE stock (sku VARCHAR(32) NOT NULL, warehouse VARCHAR(16) NOT NULL, qty INTEGER NOT NULL,"
    " PRIMARY KEY (sku, warehouse))",
)
TABLES = ("stock", "products")


class Product(NamedTuple):
    sku: str
    name: str
    price_cents: int


class Inventory:
    def __init__(self, db):
        self.db = db
        self.dialect = db.dialect

    # schema -------------------------------------------------------------------------------------
    def create_schema(self):
        self.db.script(*SCHEMA)

    def drop_schema(self):
        self.db.script(*(f"DROP TABLE IF EXISTS {t}" for t in TABLES))

    # catalogue ----------------------------------------------------------------------------------
    def add_product(self, sku: str, name: str, price_cents: int):
        """A new product; a duplicate SKU raises the driver's IntegrityError."""
        self.db.execute(quarry.insert(self.dialect, "products", {"sku": sku, "name": name, "price_cents": price_cents}))

    def sync_product(self, sku: str, name: str, price_cents: int):
        """The catalogue feed: creates the product or updates its name and price."""
        row = {"sku": sku, "name": name, "price_cents": price_cents}
        self.db.execute(quarry.upsert(self.dialect, "products", row, key=["sku"]))

    def product(self, sku: str) -> Optional[Product]:
        rows = self.db.fetchall(quarry.select(self.dialect, "products", columns=list(Product._fields), where={"sku": sku}))
        return Product(*rows[0]) if rows else None

    def products(self, limit: Optional[int] = None) -> List[Product]:
        stmt = quarry.select(self.dialect, "products", columns=list(Product._fields), order_by=["sku"], limit=limit)
        return [Product(*r) for r in self.db.fetchall(stmt)]

    # stock --------------------------------------------------------------------------------------
    def set_stock(self, sku: str, warehouse: str, qty: int):
        """Records a stock count: the count of (sku, warehouse) replaces the previous one."""
        if qty < 0:
            raise ValueError("a stock count cannot be negative")
        row = {"sku": sku, "warehouse": warehouse, "qty": qty}
        self.db.execute(quarry.upsert(self.dialect, "stock", row, key=["sku", "warehouse"]))

    def stock_by_warehouse(self, sku: str) -> dict:
        stmt = quarry.select(self.dialect, "stock", columns=["warehouse", "qty"], where={"sku": sku}, order_by=["warehouse"])
        return dict(self.db.fetchall(stmt))

    def total_stock(self, sku: str) -> int:
        return sum(self.stock_by_warehouse(sku).values())

    def low_stock(self, threshold: int) -> List[str]:
        """SKUs of the catalogue with fewer than `threshold` units across all warehouses."""
        return [p.sku for p in self.products() if self.total_stock(p.sku) < threshold]
