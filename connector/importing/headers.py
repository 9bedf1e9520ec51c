"""The column headers people write, in German and English, and how each column's cells parse.

A header is compared case-insensitively and without spaces, dashes, dots and underscores, so
``E-Mail``, ``email`` and ``E_Mail`` are one column. An unknown header gets a "did you mean"
suggestion from :mod:`difflib`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from connector.i18n import gettext as _
from connector.importing.values import (
    ValueParser,
    enum_parser,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
)
from connector.model import Circle, CompanySize, LadderStage, ReferralStatus, Sentiment

__all__ = ["ALIASES", "PARSERS", "header_key", "resolve_header", "suggest"]


def header_key(header: str) -> str:
    """The form headers are compared in: casefolded, without separators (ß → ss)."""
    return re.sub(r"[\s_\-./:]+", "", header.casefold())


def _enum(
    enum: type[Circle | LadderStage | ReferralStatus | Sentiment | CompanySize],
    german: Mapping[str, str],
) -> ValueParser:
    return enum_parser({**{member.value: member.value for member in enum}, **german})


_CIRCLES = _enum(
    Circle,
    {
        "Kunde": "customer",
        "Kunden": "customer",
        "Mitarbeiter": "employee",
        "Mitarbeiterin": "employee",
        "Partner": "partner",
        "Partnerin": "partner",
        "Interessent": "prospect",
        "Interessentin": "prospect",
    },
)
_LADDER = _enum(
    LadderStage,
    {"Kunde": "customer", "Empfehler": "referrer", "Empfehlerin": "referrer", "Partner": "partner"},
)
_STATUS = _enum(
    ReferralStatus,
    {
        "offen": "open",
        "kontaktiert": "contacted",
        "qualifiziert": "qualified",
        "gewonnen": "won",
        "verloren": "lost",
    },
)
_SENTIMENT = _enum(Sentiment, {"positiv": "positive", "negativ": "negative"})
_SIZE = _enum(
    CompanySize,
    {"Kleinst": "micro", "klein": "small", "mittel": "medium", "groß": "large", "gross": "large"},
)

# Parsers by canonical column (the same in every kind); other columns are text.
PARSERS: dict[str, ValueParser] = {
    "circle": _CIRCLES,
    "ladder_stage": _LADDER,
    "status": _STATUS,
    "sentiment": _SENTIMENT,
    "size": _SIZE,
    "amount": parse_amount,
    "willing_to_introduce": parse_bool,
    "created_at": parse_datetime,
    "status_changed_at": parse_datetime,
    "connected_on": parse_datetime,
    "last_contact_on": parse_date,  # relationship upkeep (issue #18)
}

# Canonical column → the other headers people write for it (the canonical name also works).
_COMMON: dict[str, tuple[str, ...]] = {
    "id": ("ID", "Nr", "Nummer", "Kennung"),
    "created_at": ("Erstellt", "Erstellt am", "Angelegt am", "Created", "Datum"),
}
_MEMBER: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Vollständiger Name", "Full Name"),
    "email": ("E-Mail", "Email", "E-Mail-Adresse", "Mail", "Email Address"),
    "organisation": ("Firma", "Unternehmen", "Organisation", "Organization", "Company"),
    "circle": ("Kreis", "Circle"),
    "ladder_stage": ("Stufe", "Leiterstufe", "Leiter", "Stage"),
    "industry": ("Branche", "Industry"),
    "region": ("Region", "Ort"),
    "size": ("Größe", "Unternehmensgröße", "Size"),
    "offers": ("Angebote", "Angebot", "Bietet"),
    "needs": ("Bedarf", "Sucht", "Bedürfnisse"),
    "goals": ("Ziele", "Ziel"),
    "vision": ("Vision",),
    "salesforce_contact_id": ("Salesforce Kontakt-ID",),
    "salesforce_account_id": ("Salesforce Account-ID",),
    "hubspot_contact_id": ("HubSpot Kontakt-ID",),
    "hubspot_company_id": ("HubSpot Firmen-ID",),
}
_LINK: dict[str, tuple[str, ...]] = {
    "strength": ("Stärke", "Beziehungsstärke", "Strength"),
    "willing_to_introduce": ("Empfehlungsbereit", "Vorstellungsbereit", "Bereit"),
    "context": ("Kontext", "Notiz", "Woher"),
    # relationship upkeep (issue #18)
    "last_contact_on": ("Letzter Kontakt", "Zuletzt gesprochen", "Last Contact", "last_contact"),
}
_CONNECTION: dict[str, tuple[str, ...]] = {
    "from_id": ("Von", "Von-ID", "From"),
    "to_id": ("An", "Zu", "An-ID", "To"),
    "employee_id": ("Mitarbeiter", "Mitarbeiter-ID", "Employee"),
}
_REFERRAL: dict[str, tuple[str, ...]] = {
    "referrer_id": ("Empfehler", "Empfehlungsgeber", "Referrer"),
    "referred_id": ("Empfohlen", "Empfohlener", "Empfohlene", "Referred"),
    "recipient_id": ("Empfänger", "Empfehlungsnehmer", "Recipient"),
    "circle": ("Kreis",),
    "sentiment": ("Stimmung", "Tonfall"),
    "status": ("Status",),
    "deal_id": ("Deal", "Deal-ID", "Auftrag"),
    "amount": ("Betrag", "Wert", "Umsatz", "Amount"),
    "currency": ("Währung", "Currency"),
    "note": ("Notiz", "Bemerkung", "Note"),
    "status_changed_at": ("Status geändert am", "Statusdatum"),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "member": {**_COMMON, **_MEMBER},
    "connection": {**_COMMON, **_CONNECTION, **_LINK},
    "referral": {**_COMMON, **_REFERRAL},
    "contact": {**_COMMON, **{k: v for k, v in _MEMBER.items() if k != "ladder_stage"}, **_LINK},
}


def _lookup(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, aliases in ALIASES[kind].items():
        for header in (canonical, *aliases):
            table.setdefault(header_key(header), canonical)
    return table


_LOOKUPS = {kind: _lookup(kind) for kind in ALIASES}


def resolve_header(kind: str, header: str) -> str | None:
    """The canonical column ``header`` names in a file of ``kind``, or None."""
    return _LOOKUPS[kind].get(header_key(header))


def suggest(kind: str, header: str) -> str:
    """A "did you mean" hint for an unknown header (or the list of known columns)."""
    by_key: dict[str, str] = {}
    for canonical, aliases in ALIASES[kind].items():
        for spelling in (canonical, *aliases):
            by_key.setdefault(header_key(spelling), spelling)
    close = difflib.get_close_matches(header_key(header), list(by_key), n=1, cutoff=0.6)
    if close:
        return _("did you mean '{column}'?").format(column=by_key[close[0]])
    return _("known columns: {columns}").format(columns=", ".join(ALIASES[kind]))
