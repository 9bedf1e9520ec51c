"""The language refnet speaks, and numbers, money and dates as its readers write them.

Every user-facing text goes through :func:`gettext` (imported as ``_``) or :func:`ngettext`,
so Babel's extractor finds it and the German catalog in ``connector/locale`` translates it
(``make i18n-extract``, ``make i18n-update``; see ``connector/locale/README.md``). The
source language is English: an untranslated text prints as written.

The language comes from ``REFNET_LANGUAGE``, else the process locale (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext reads them), else English. Only German and
English are offered; any other locale falls back to English texts with that locale's number
and date formats still German or English accordingly.

``--json`` output never passes through here: keys and enum values stay language-neutral.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.core import Locale, UnknownLocaleError, default_locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency as _babel_format_currency
from babel.numbers import format_decimal as _babel_format_decimal
from babel.numbers import format_percent as _babel_format_percent
from babel.support import NullTranslations, Translations

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "Language",
    "current",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "format_percent",
    "gettext",
    "language_from_environment",
    "ngettext",
    "pgettext",
    "set_language",
    "translations",
]

DOMAIN = "refnet"
LOCALE_DIR = Path(__file__).parent / "locale"
# English is the source language; German is the language of our users.
LANGUAGES = ("en", "de")
_FALLBACK = "en"
# gettext's own order of precedence for the message language.
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@dataclass(frozen=True)
class Language:
    """One language: its catalog and the locale that formats its numbers and dates."""

    code: str
    locale: Locale
    catalog: NullTranslations


def _parse(code: str) -> Locale | None:
    # "de_DE.UTF-8", "de-DE", "de" all name German; "C" and "POSIX" name none.
    cleaned = code.split(".", maxsplit=1)[0].split("@", maxsplit=1)[0].replace("-", "_").strip()
    if not cleaned or cleaned in {"C", "POSIX"}:
        return None
    try:
        return Locale.parse(cleaned)
    except (UnknownLocaleError, ValueError):
        return None


def language_from_environment(environ: dict[str, str] | None = None) -> str:
    """``REFNET_LANGUAGE``, else the locale's language if refnet speaks it, else English."""
    env = os.environ if environ is None else environ
    explicit = env.get("REFNET_LANGUAGE", "").strip()
    if explicit:
        parsed = _parse(explicit)
        if parsed is not None and parsed.language in LANGUAGES:
            return parsed.language
        return _FALLBACK
    if environ is None:
        found = default_locale(_LOCALE_VARIABLES)
    else:
        found = next((env[name] for name in _LOCALE_VARIABLES if env.get(name)), None)
        if found is not None:
            # LANGUAGE may list several ("de:en"); the first one wins, as in gettext.
            found = found.split(":")[0]
    parsed = _parse(found) if found else None
    if parsed is not None and parsed.language in LANGUAGES:
        return parsed.language
    return _FALLBACK


@cache
def translations(code: str) -> NullTranslations:
    """The catalog of one language: the compiled ``.mo``, else the ``.po`` compiled now.

    The build compiles every catalog (``make i18n-compile``, run by the install); a source
    checkout whose ``.po`` is newer than its ``.mo`` (a translator's edit) is compiled in
    memory, so a stale binary never hides a fixed text.
    """
    if code == _FALLBACK:
        return NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    po_file, mo_file = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_file.exists() and (
        not po_file.exists() or mo_file.stat().st_mtime >= po_file.stat().st_mtime
    ):
        with mo_file.open("rb") as stream:
            return Translations(stream, domain=DOMAIN)
    if po_file.exists():
        with po_file.open("rb") as stream:
            catalog = read_po(stream, locale=code, domain=DOMAIN)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        return Translations(compiled, domain=DOMAIN)
    return NullTranslations()


def _language(code: str) -> Language:
    return Language(code=code, locale=Locale.parse(code), catalog=translations(code))


_current: Language | None = None


def current() -> Language:
    """The language of this process, read from the environment on first use."""
    global _current  # noqa: PLW0603 - one language per process, chosen once at start-up
    if _current is None:
        _current = _language(language_from_environment())
    return _current


def set_language(code: str | None) -> Language:
    """Speak ``code`` from now on; ``None`` reads the environment again (tests, the server)."""
    global _current  # noqa: PLW0603 - see current()
    chosen = language_from_environment() if code is None else code
    if chosen not in LANGUAGES:
        raise ValueError(f"refnet speaks {', '.join(LANGUAGES)}, not {chosen!r}")
    _current = _language(chosen)
    return _current


def gettext(message: str) -> str:
    """``message`` in the current language (mark texts as ``_("...")``)."""
    return current().catalog.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a text for ``count``, in the current language."""
    return current().catalog.ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` translated within ``context``, for a word with two meanings."""
    return str(current().catalog.pgettext(context, message))


def format_number(value: int | float | Decimal, *, digits: int | None = None) -> str:
    """``4.881.196,87`` in German, ``4,881,196.87`` in English."""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return _babel_format_decimal(value, format=pattern, locale=current().locale)


def format_money(amount: Decimal | int | float, currency: str) -> str:
    """``4.881.196,87 €`` in German, ``€4,881,196.87`` in English."""
    return _babel_format_currency(amount, currency, locale=current().locale)


def format_percent(ratio: float | Decimal, *, digits: int = 0) -> str:
    """A ratio (0.5) as a percentage: ``50 %`` in German, ``50%`` in English."""
    locale = current().locale
    # The locale's own pattern keeps its spacing ("50 %" in German); only the digits change.
    pattern = locale.percent_formats[None].pattern
    if digits:
        head, _, tail = pattern.rpartition("0")
        pattern = f"{head}0.{'0' * digits}{tail}"
    return _babel_format_percent(ratio, format=pattern, locale=locale)


def format_date(value: date) -> str:
    """``31.12.2025`` in German, ``Dec 31, 2025`` in English."""
    return _babel_format_date(value, format="medium", locale=current().locale)


def format_datetime(value: datetime) -> str:
    """A timestamp in the locale's medium format (``31.12.2025, 14:05:00``)."""
    return _babel_format_datetime(value, format="medium", locale=current().locale)
