"""Numbers, money and dates as a German or an English reader writes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from connector import i18n


@pytest.fixture
def german() -> Iterator[None]:
    i18n.set_language("de")
    yield
    i18n.set_language(None)


@pytest.fixture
def english() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language(None)


@pytest.mark.usefixtures("german")
def test_german_numbers_money_and_dates() -> None:
    assert i18n.format_number(Decimal("4881196.87")) == "4.881.196,87"
    assert i18n.format_number(1234, digits=0) == "1.234"
    assert i18n.format_money(Decimal("4881196.87"), "EUR") == "4.881.196,87\xa0€"
    assert i18n.format_money(Decimal("12"), "USD") == "12,00\xa0$"
    assert i18n.format_date(date(2025, 12, 31)) == "31.12.2025"
    assert i18n.format_percent(0.5) == "50\xa0%"


@pytest.mark.usefixtures("english")
def test_english_numbers_money_and_dates() -> None:
    assert i18n.format_number(Decimal("4881196.87")) == "4,881,196.87"
    assert i18n.format_money(Decimal("4881196.87"), "EUR") == "€4,881,196.87"
    assert i18n.format_date(date(2025, 12, 31)) == "Dec 31, 2025"
    assert i18n.format_percent(0.5) == "50%"


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        i18n.set_language("fr")
