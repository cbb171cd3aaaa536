"""Products and per-warehouse stock levels."""
from .db import Database, connect
from .store import Inventory, Product

__all__ = ["Database", "Inventory", "Product", "connect"]
