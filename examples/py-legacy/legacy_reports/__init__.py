"""Order reports per region."""
from .db import BACKEND, connect
from .reports import OrderBook

__all__ = ["BACKEND", "OrderBook", "connect"]
