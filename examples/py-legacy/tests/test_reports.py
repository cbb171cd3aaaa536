import pytest

from legacy_reports import BACKEND
from legacy_reports.db import USER


def test_connected_as_the_legacy_user(book):
    user = book.current_user()
    if BACKEND == "sqlite":
        pytest.skip("SQLite has no users")
    assert user.split("@")[0] == USER


def test_regions_seeded_by_the_dba_script(book):
    assert book.regions() == {"AP": "Asia Pacific", "EU": "Europe", "NA": "North America"}


def test_record_and_list_orders_of_a_region(book):
    book.record(1, "EU", "Ada", 1250, "2024-03-01")
    book.record(2, "NA", "Grace", 800, "2024-03-02")
    book.record(3, "EU", "Edsger", 99, "2024-03-03")
    assert book.orders_in("EU") == [(1, "Ada", 1250), (3, "Edsger", 99)]
    assert book.orders_in("AP") == []


def test_unknown_region_is_refused(book):
    with pytest.raises(ValueError):
        book.record(1, "XX", "Nobody", 1, "2024-03-01")
    assert book.orders_in("XX") == []


def test_latest_orders_first(book):
    for i, day in enumerate(["2024-03-05", "2024-03-01", "2024-03-09", "2024-03-09"], start=1):
        book.record(i, "AP", f"customer {i}", 100, day)
    assert book.latest(3) == [4, 3, 1]


def test_totals_by_region(book):
    book.record(1, "EU", "Ada", 1250, "2024-03-01")
    book.record(2, "EU", "Alan", 750, "2024-03-01")
    book.record(3, "NA", "Grace", 800, "2024-03-02")
    assert book.totals_by_region() == {"Europe": 2000, "North America": 800}
