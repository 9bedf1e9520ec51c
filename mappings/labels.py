"""The labels a CRM shows for refnet's objects, fields and picklist values, in any language.

Labels are written in English in the mapping YAML; their translations live in refnet's
gettext catalog (``connector/locale``) under a message context per CRM (``salesforce label``,
``hubspot label``), so a CRM label can read differently from the same word on the command
line. :mod:`mappings.babel_extract` puts them into the catalog (``make i18n-extract``).

A label is translated into a *chosen* language, not the process's: the Salesforce package
carries German beside the org's English labels, and a HubSpot portal gets the language its
admin chose, whatever the shell running ``refnet`` speaks.

What goes to the CRM as data (picklist API names, property names, option values) never
passes through here.
"""

from __future__ import annotations

from collections.abc import Callable

from connector.i18n import LANGUAGES, translations

__all__ = [
    "BUILTIN_LABELS",
    "LABEL_CONTEXTS",
    "LabelTranslator",
    "Localized",
    "label_translator",
    "label_variants",
    "localizer",
    "picklist_label",
    "same_label",
]

# The message context of each CRM's labels in the catalog.
LABEL_CONTEXTS: dict[str, str] = {"salesforce": "salesforce label", "hubspot": "hubspot label"}

# Labels the adapters add beside the mappings' own (fields every object gets, checkbox
# options); the extractor adds them to the catalog with the YAML labels of the same CRM.
BUILTIN_LABELS: dict[str, tuple[str, ...]] = {
    "salesforce": (
        "Refnet Archived",
        "Refnet Id",
        # The deal-event fields on Opportunity and Contact (adapters.salesforce.deal_events).
        "Refnet Referral Id",
        "Referred By",
        "The refnet referral number, e.g. from the referral list.",
        "Who referred this contact? An e-mail or a refnet id.",
    ),
    "hubspot": (
        "No",
        "Yes",
        "refnet ID",
        "The record's refnet id: the key refnet upserts by. Do not edit.",
    ),
}

LabelTranslator = Callable[[str], str]


def picklist_label(value: str) -> str:
    """How a picklist value reads in English: ``business_done`` → ``Business Done``."""
    return value.replace("_", " ").title()


def label_translator(crm: str, language: str) -> LabelTranslator:
    """A function giving ``crm``'s label for an English label, in ``language``.

    English (or a label the catalog lacks) comes back unchanged, so a new mapping label
    shows in English until it is translated rather than failing a provisioning.
    """
    if crm not in LABEL_CONTEXTS:
        raise ValueError(f"no labels for CRM {crm!r}; known: {', '.join(LABEL_CONTEXTS)}")
    if language not in LANGUAGES:
        raise ValueError(f"refnet has labels in {', '.join(LANGUAGES)}, not {language!r}")
    catalog = translations(language)
    context = LABEL_CONTEXTS[crm]

    def translate(label: str) -> str:
        return str(catalog.pgettext(context, label))

    return translate


class Localized(str):
    """A label in one language that remembers its English source.

    It is the label wherever a ``str`` goes (SDK models, reports); provisioning asks
    :func:`same_label` whether what a CRM holds is this label in another language.
    """

    english: str

    def __new__(cls, text: str, english: str) -> Localized:
        label = super().__new__(cls, text)
        label.english = english
        return label


def localizer(crm: str, language: str) -> Callable[[str], Localized]:
    """Like :func:`label_translator`, but the labels remember their English source."""
    translate = label_translator(crm, language)

    def localize(label: str) -> Localized:
        english = label.english if isinstance(label, Localized) else label
        return Localized(translate(english), english)

    return localize


def label_variants(crm: str, english: str) -> frozenset[str]:
    """``english`` in every language refnet has labels in."""
    return frozenset(label_translator(crm, code)(english) for code in LANGUAGES)


def same_label(crm: str, wanted: str, found: str | None) -> bool:
    """Whether ``found`` is ``wanted``, in any language (an English portal provisioned
    again in German still holds refnet's labels, only in English)."""
    if found is None:
        return False
    if isinstance(wanted, Localized):
        return found == wanted or found in label_variants(crm, wanted.english)
    return found == wanted
