"""Amounts and currencies as sales users type them on the command line.

German users write ``12.500,00``, others ``12,500.00`` or ``12500.50``. Babel parses each
locale's form strictly (a dot that does not group three digits is no German thousands
mark), so a text is read as German first and, only when it is not a valid German number,
as English. ``12.500`` is therefore twelve thousand five hundred, as a German reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, is_currency, parse_decimal

from connector.errors import RecordValidationError
from connector.i18n import gettext as _

__all__ = ["AMOUNT_LOCALES", "parse_amount", "parse_currency"]

AMOUNT_LOCALES: tuple[str, ...] = ("de_DE", "en_US")
_CENT = Decimal("0.01")


def parse_amount(text: str, *, record: str, locales: Sequence[str] = AMOUNT_LOCALES) -> Decimal:
    """The amount ``text`` means, rounded to cents; :class:`RecordValidationError` if none.

    ``record`` names the record the amount is for, so the error says where it went wrong.
    """
    cleaned = text.strip().replace("€", "").replace("\u00a0", " ").strip()
    for locale in locales:
        try:
            value = parse_decimal(cleaned, locale=locale, strict=True)
        except NumberFormatError:
            continue
        if value < 0:
            raise RecordValidationError(
                record, "amount", _("'{text}' is negative").format(text=text)
            )
        try:
            return value.quantize(_CENT)
        except InvalidOperation:
            break
    raise RecordValidationError(
        record,
        "amount",
        _("'{text}' is not an amount; write e.g. 12.500,00 or 12500.00").format(text=text),
    )


def parse_currency(text: str, *, record: str) -> str:
    """An ISO 4217 currency code (``EUR``), checked against Babel's list of currencies."""
    code = text.strip().upper()
    if len(code) != 3 or not is_currency(code):
        raise RecordValidationError(
            record,
            "currency",
            _("'{text}' is not an ISO 4217 currency code such as EUR or CHF").format(text=text),
        )
    return code
