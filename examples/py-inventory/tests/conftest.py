import os

import pytest
import quarry

from inventory import Inventory, connect


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "(none: a temporary SQLite file)")
    backend = url.split(":", 1)[0]
    return f"quarry {quarry.__version__} from {os.path.dirname(quarry.__file__)}; database: {backend}"


@pytest.fixture
def db():
    database = connect()
    yield database
    database.close()


@pytest.fixture
def inventory(db):
    """An inventory with fresh, empty tables; dropped afterwards."""
    inv = Inventory(db)
    inv.drop_schema()
    inv.create_schema()
    yield inv
    inv.drop_schema()
