"""Cell values as German offices write them, turned into what the model reads.

Each function takes the stripped cell text and returns the model's form, or raises
:class:`CellError` whose message says what was expected, so the row error can name the fix.
The parsing is strict on purpose: a value that could mean two things is refused, never
guessed (``12.500`` is read as twelve thousand five hundred only because German files write
thousands that way, and ``1.5`` is read as one and a half; see :func:`parse_amount`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from connector.i18n import gettext as _

__all__ = [
    "CLEAR_MARKERS",
    "CellError",
    "ValueParser",
    "enum_parser",
    "parse_amount",
    "parse_bool",
    "parse_date",
    "parse_datetime",
]

# A cell holding one of these clears the value; an empty cell leaves the stored value alone,
# so a file that omits a value can never wipe it by accident.
CLEAR_MARKERS = frozenset({"<leer>", "<empty>"})


class CellError(ValueError):
    """A cell's text is not a value of its column; the message names what is expected."""


ValueParser = Callable[[str, ZoneInfo], object]

# Formats Excel, Outlook and LinkedIn write (German Excel: day first with dots; LinkedIn
# "Connected On": "03 Dec 2026"). strptime with a closed list rather than a lenient parser:
# dateutil would also read "1" or "12/11/10" and guess.
_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d %b %Y", "%d-%b-%y")
_DATETIME_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
)


@functools.lru_cache(maxsize=4096)
def parse_datetime(text: str, zone: ZoneInfo) -> object:
    """A date or date-time; one without a zone is taken in ``zone`` (default Europe/Berlin).

    Cached as a whole (not only the parsing): a file's rows repeat the same times.
    """
    parsed = _parse(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat()


def parse_date(text: str, zone: ZoneInfo) -> object:
    """A calendar day (31.12.2025, 2025-12-31, ...); a time of day is refused, not dropped."""
    parsed = _parse(text)
    if (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) != (0, 0, 0, 0):
        raise CellError(f"'{text}' is a date with a time; write the day only, e.g. 31.12.2025")
    return parsed.date().isoformat()


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> datetime:
    # Cached: exports repeat the same dates on many rows, and a failed strptime is slow.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return _first_format(text)


def _first_format(text: str) -> datetime:
    # A time has a colon: try the formats of its shape first.
    shaped = (
        (*_DATETIME_FORMATS, *_DATE_FORMATS)
        if ":" in text
        else (*_DATE_FORMATS, *_DATETIME_FORMATS)
    )
    for fmt in shaped:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CellError(
        _("'{text}' is not a date; write e.g. 31.12.2025, 31.12.2025 14:30 or 2025-12-31").format(
            text=text
        )
    )


_GERMAN_AMOUNT = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+,\d+$")
_PLAIN_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_DOTTED_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_amount(text: str, zone: ZoneInfo) -> object:
    """An amount: ``12.500,00`` (German), ``12500,5``, ``12500.50`` or ``12500``.

    A comma is always the decimal mark and dots before it group thousands; without a comma,
    dots grouping exactly three digits (``12.500``) are thousands as German files mean them,
    any other single dot is a decimal point (``12500.50``).
    """
    cleaned = text.replace("€", "").replace("\u00a0", "").replace(" ", "")
    if "," in cleaned or _DOTTED_THOUSANDS.match(cleaned):
        if not _GERMAN_AMOUNT.match(cleaned):
            raise CellError(_not_an_amount(text))
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif not _PLAIN_AMOUNT.match(cleaned):
        raise CellError(_not_an_amount(text))
    try:
        return str(Decimal(cleaned))
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise CellError(_not_an_amount(text)) from None


def _not_an_amount(text: str) -> str:
    return _("'{text}' is not an amount; write e.g. 12.500,00 or 12500.00").format(text=text)


_TRUE = frozenset({"ja", "j", "wahr", "x", "true", "yes", "y", "1"})
_FALSE = frozenset({"nein", "n", "falsch", "false", "no", "0", "-"})


def parse_bool(text: str, zone: ZoneInfo) -> object:
    """ja/nein, wahr/falsch, x (a ticked cell), true/false, yes/no, 1/0."""
    folded = text.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError(_("'{text}' is not yes or no; write ja or nein").format(text=text))


def enum_parser(values: Mapping[str, str]) -> ValueParser:
    """A parser accepting each value (English or German) in any case; names them on error."""
    folded = {key.casefold(): value for key, value in values.items()}
    allowed = ", ".join(dict.fromkeys(values))

    def parse(text: str, zone: ZoneInfo) -> object:
        try:
            return folded[text.casefold()]
        except KeyError:
            raise CellError(
                _("'{text}' is not one of: {allowed}").format(text=text, allowed=allowed)
            ) from None

    return parse
