"""German labels for refnet's objects and fields through Salesforce's Translation Workbench.

The org keeps English as its default language: the objects and fields are created with the
mappings' English labels, and one ``CustomObjectTranslation`` per object and language
(``Refnet_Referral__c-de``) carries the translations, so a user whose language setting is
German sees German labels while everyone else keeps English. Per the Metadata API Developer
Guide, "CustomObjectTranslation" (https://developer.salesforce.com/docs/atlas.en-us.api_meta.
meta/api_meta/meta_customobjecttranslation.htm) it holds:

- ``caseValues`` (``ObjectNameCaseValue``: ``caseType``, ``plural``, ``value``) and ``gender``:
  the object's name in German, declined, for custom objects only;
- ``nameFieldLabel``: the label of the record name (``Referral Number``);
- ``fields`` (``CustomFieldTranslation``: ``label``, ``name``, ``picklistValues`` as
  ``masterLabel``/``translation`` pairs, ``relationshipLabel``) for every custom field refnet
  creates, also on Contact, Account and Opportunity.

The translations come from refnet's catalog (:func:`mappings.labels.label_translator`, the
``salesforce label`` context). The deal-event fields sales users fill (on Opportunity and Contact,
:mod:`adapters.salesforce.deal_events`) are translated too, with their inline help text
(``help``). Custom applications and tabs would need a ``Translations`` component; refnet's app is
named after the product and its tabs take the object labels, so none is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.salesforce.deal_events import event_fields
from adapters.salesforce.metadata import Component, field_components, object_component
from connector.i18n import LANGUAGES
from mappings.labels import label_translator
from mappings.spec import MappingSet, ObjectMapping

__all__ = ["TRANSLATED_LANGUAGES", "german_case_values", "object_translations"]

# Every language refnet has a catalog for, except English: the org's own labels.
TRANSLATED_LANGUAGES: tuple[str, ...] = tuple(code for code in LANGUAGES if code != "en")

# German nouns by their last part: the gender Salesforce needs to pick articles and adjective
# endings ("Neue Empfehlung", "Neuer Kundenclub"). A noun not listed gets no gender.
_GERMAN_GENDERS: tuple[tuple[str, str], ...] = (
    ("ung", "Feminine"),
    ("schaft", "Feminine"),
    ("club", "Masculine"),
    ("kontakt", "Masculine"),
    ("partner", "Masculine"),
)
_CASES = ("Nominative", "Accusative", "Genitive", "Dative")


def _german_gender(noun: str) -> str | None:
    lowered = noun.casefold()
    return next((gender for ending, gender in _GERMAN_GENDERS if lowered.endswith(ending)), None)


def german_case_values(singular: str, plural: str) -> list[dict[str, Any]]:
    """The four German cases of an object name, singular and plural.

    Feminine nouns keep their form in the singular; masculine and neuter ones take ``-s``
    in the genitive singular (des Kundenclubs); plurals take ``-n`` in the dative unless they
    already end in ``-n`` or ``-s`` (den Netzwerkpartnern, den Empfehlungen).
    """
    gender = _german_gender(singular)
    values = []
    for is_plural, noun in ((False, singular), (True, plural)):
        for case in _CASES:
            value = noun
            if not is_plural and case == "Genitive" and gender in ("Masculine", "Neuter"):
                value = noun + "s"
            if is_plural and case == "Dative" and not noun.endswith(("n", "s")):
                value = noun + "n"
            values.append({"caseType": case, "plural": is_plural, "value": value})
    return values


def _field_translation(field: Component, translate: Callable[[str], str]) -> dict[str, Any]:
    body = field.body
    name = field.full_name.split(".", 1)[1]
    translation: dict[str, Any] = {"name": name, "label": translate(str(body["label"]))}
    if body.get("inlineHelpText"):
        translation["help"] = translate(str(body["inlineHelpText"]))
    if body.get("relationshipLabel"):
        translation["relationshipLabel"] = translate(str(body["relationshipLabel"]))
    values = body.get("valueSet", {}).get("valueSetDefinition", {}).get("value", [])
    if values:
        translation["picklistValues"] = [
            # masterLabel: the value's label in the org's language, which the translation
            # replaces (PicklistValueTranslation), not its API name.
            {"masterLabel": str(v["label"]), "translation": translate(str(v["label"]))}
            for v in values
        ]
    return translation


def _object_translation(
    mapping: ObjectMapping,
    language: str,
    translate: Callable[[str], str],
    extra_fields: list[Component],
) -> Component | None:
    fields = [_field_translation(c, translate) for c in [*field_components(mapping), *extra_fields]]
    body: dict[str, Any] = {"fields": sorted(fields, key=lambda f: str(f["name"]))}
    custom = object_component(mapping)
    spec = mapping.spec
    if custom is not None and spec.label and spec.plural_label and spec.name_field:
        singular, plural = translate(spec.label), translate(spec.plural_label)
        if language == "de":
            body["caseValues"] = german_case_values(singular, plural)
            gender = _german_gender(singular)
            if gender is not None:
                body["gender"] = gender
        else:
            body["caseValues"] = [
                {"caseType": "Nominative", "plural": False, "value": singular},
                {"caseType": "Nominative", "plural": True, "value": plural},
            ]
        body["nameFieldLabel"] = translate(spec.name_field.label)
    if not fields and "caseValues" not in body:
        return None
    return Component("CustomObjectTranslation", f"{mapping.object}-{language}", body)


def object_translations(
    mappings: MappingSet, languages: tuple[str, ...] = TRANSLATED_LANGUAGES
) -> list[Component]:
    """One ``CustomObjectTranslation`` per mapped object and language."""
    components = []
    events: dict[str, list[Component]] = {}
    for field in event_fields(mappings):
        events.setdefault(field.full_name.split(".", 1)[0], []).append(field)
    mapped = {m.object for m in mappings.mappings}
    for language in languages:
        translate = label_translator("salesforce", language)
        for mapping in mappings.mappings:
            extra = events.get(mapping.object, [])
            component = _object_translation(mapping, language, translate, extra)
            if component is not None:
                components.append(component)
        # Objects only the deal events add fields to (Opportunity).
        for obj, fields in events.items():
            if obj not in mapped:
                body = {"fields": [_field_translation(f, translate) for f in fields]}
                components.append(Component("CustomObjectTranslation", f"{obj}-{language}", body))
    return components
