"""Figures in the report's cells and sentences, as the reader's language writes them.

German readers get :mod:`connector.i18n`'s formats (``4.881.196,87 €``, ``31.12.2025``,
``50 %``). English keeps the forms the report always printed (``4,881,196.87 EUR``,
``2025-12-31``): scripts and saved outputs compare against them, and an ISO date sorts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connector import i18n

__all__ = ["amount", "day", "fixed", "money", "number", "percent", "signed"]


def _english() -> bool:
    return i18n.current().code == "en"


def number(value: int | float | Decimal) -> str:
    """A count or a measured figure without forced decimals (``15.000`` / ``15,000``)."""
    return i18n.format_number(value)


def amount(value: int | float | Decimal) -> str:
    """An amount in a column whose header names the currency: always two decimals."""
    return i18n.format_number(value, digits=2)


def fixed(value: int | float | Decimal, digits: int) -> str:
    """A score or ratio with exactly ``digits`` decimals (``12,5`` / ``12.5``)."""
    return i18n.format_number(value, digits=digits)


def money(value: int | float | Decimal, currency: str) -> str:
    """An amount with its currency: ``1.000,00 €`` in German, ``1,000.00 EUR`` in English."""
    if _english():
        return f"{i18n.format_number(value, digits=2)} {currency}"
    return i18n.format_money(value, currency)


def percent(ratio: float | Decimal) -> str:
    """``50 %`` in German, ``50%`` in English."""
    return i18n.format_percent(ratio)


def signed(value: int) -> str:
    """A balance with its sign: ``+3`` / ``-2`` (no thousands in practice, same everywhere)."""
    return f"{value:+d}"


def day(value: date | None, *, english: str = "%Y-%m-%d") -> str:
    """``31.12.2025`` in German; ``english`` is the strftime form English tables keep."""
    if value is None:
        return "-"
    if _english():
        return value.strftime(english)
    return i18n.format_date(value)
