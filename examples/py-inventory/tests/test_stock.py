import pytest


@pytest.fixture
def catalogue(inventory):
    inventory.add_product("BOLT-M8", "Hex bolt M8", 35)
    inventory.add_product("NUT-M8", "Hex nut M8", 9)
    return inventory


def test_unknown_product_has_no_stock(catalogue):
    assert catalogue.stock_by_warehouse("BOLT-M8") == {}
    assert catalogue.total_stock("BOLT-M8") == 0


def test_counts_are_kept_per_warehouse(catalogue):
    catalogue.set_stock("BOLT-M8", "north", 120)
    catalogue.set_stock("BOLT-M8", "south", 30)
    assert catalogue.stock_by_warehouse("BOLT-M8") == {"north": 120, "south": 30}
    assert catalogue.total_stock("BOLT-M8") == 150


def test_a_new_count_replaces_the_previous_one(catalogue):
    catalogue.set_stock("NUT-M8", "north", 500)
    catalogue.set_stock("NUT-M8", "north", 480)
    assert catalogue.stock_by_warehouse("NUT-M8") == {"north": 480}


def test_low_stock_report(catalogue):
    catalogue.set_stock("BOLT-M8", "north", 3)
    catalogue.set_stock("NUT-M8", "north", 40)
    catalogue.set_stock("NUT-M8", "south", 2)
    assert catalogue.low_stock(10) == ["BOLT-M8"]


def test_negative_count_is_refused(catalogue):
    with pytest.raises(ValueError):
        catalogue.set_stock("BOLT-M8", "north", -1)
    assert catalogue.stock_by_warehouse("BOLT-M8") == {}
