"""Organisations as CRMs keep them: one record per company, however its name is spelt.

Members carry their organisation as free text ("Müller Maschinenbau GmbH", "Mueller
Maschinenbau", "MÜLLER MASCHINENBAU GMBH & CO. KG"). A CRM keeps one Account per company,
so refnet keys an organisation by its *normalised* name: case, umlauts, punctuation,
spacing and the German legal form do not make two companies. The key is a valid refnet id
and becomes the Account's external id, so two customers from one company share one Account.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["ORGANISATION_KEY_PREFIX", "normalise_organisation", "organisation_key"]

ORGANISATION_KEY_PREFIX = "org:"
_MAX_KEY = 64  # refnet ids (and the CRMs' external id fields) hold 64 characters

# German (and a few common foreign) legal forms, longest first so "GmbH & Co. KG" goes whole.
_LEGAL_FORMS = (
    "gmbh & co. kgaa",
    "gmbh & co. kg",
    "gmbh & co kg",
    "ug (haftungsbeschränkt)",
    "ug (haftungsbeschraenkt)",
    "ag & co. kg",
    "kgaa",
    "ggmbh",
    "gmbh",
    "mbh",
    "e.k.",
    "e. k.",
    "e.v.",
    "e. v.",
    "ohg",
    "gbr",
    "partg",
    "ug",
    "ag",
    "kg",
    "se",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
    "llc",
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_organisation(name: str) -> str:
    """The comparable form of an organisation name: ``"mueller maschinenbau"``.

    Empty when nothing but a legal form or punctuation is left.
    """
    text = " ".join(name.casefold().split())
    changed = True
    while changed:  # "Müller GmbH & Co. KG" and "Müller KG" both end as "müller"
        changed = False
        for form in _LEGAL_FORMS:
            if text.endswith(" " + form) or text == form:
                text = text[: -len(form)].rstrip(" ,-&")
                changed = True
    text = text.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def organisation_key(name: str | None) -> str | None:
    """The organisation's refnet id (``org:mueller-maschinenbau``), ``None`` without a name.

    A name too long for an id keeps its start and gains a short hash of the whole, so the
    key stays unique and stable.
    """
    if name is None:
        return None
    normal = normalise_organisation(name)
    if not normal:
        return None
    slug = normal.replace(" ", "-")
    key = ORGANISATION_KEY_PREFIX + slug
    if len(key) <= _MAX_KEY:
        return key
    digest = hashlib.sha256(slug.encode("ascii")).hexdigest()[:10]
    return f"{key[: _MAX_KEY - 11]}-{digest}"
