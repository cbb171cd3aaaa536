import pytest

from inventory import Product


def test_add_and_read_back_a_product(inventory):
    inventory.add_product("BOLT-M8", "Hex bolt M8", 35)
    assert inventory.product("BOLT-M8") == Product("BOLT-M8", "Hex bolt M8", 35)
    assert inventory.product("NOPE") is None


def test_duplicate_sku_is_refused(inventory):
    inventory.add_product("NUT-M8", "Hex nut M8", 9)
    with pytest.raises(inventory.db.IntegrityError):
        inventory.add_product("NUT-M8", "Another nut", 10)
    assert inventory.product("NUT-M8").name == "Hex nut M8"


def test_products_listed_by_sku(inventory):
    for sku, name in [("C-3", "washer"), ("A-1", "anchor"), ("B-2", "bracket")]:
        inventory.add_product(sku, name, 100)
    assert [p.sku for p in inventory.products()] == ["A-1", "B-2", "C-3"]
    assert [p.sku for p in inventory.products(limit=2)] == ["A-1", "B-2"]


def test_sync_creates_a_new_product(inventory):
    inventory.sync_product("HINGE-2", "Door hinge", 450)
    assert inventory.product("HINGE-2") == Product("HINGE-2", "Door hinge", 450)


def test_sync_updates_name_and_price(inventory):
    inventory.add_product("HINGE-2", "Door hinge", 450)
    inventory.sync_product("HINGE-2", "Door hinge, brass", 520)
    assert inventory.product("HINGE-2") == Product("HINGE-2", "Door hinge, brass", 520)
    assert len(inventory.products()) == 1
