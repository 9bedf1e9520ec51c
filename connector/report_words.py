"""The report's words for the model's enum values (circles, stages, statuses, goal metrics).

The data keeps the language-neutral values (``customer``, ``won``, ``referrals_given``);
``--json`` prints those. Tables and sentences a person reads show them through
:func:`value_label`, translated when called, so the terminal and the HTML page say
"Kunde" and "gewonnen" in German.
"""

from __future__ import annotations

from connector.i18n import current, pgettext

__all__ = ["value_label"]


def _labels() -> dict[str, str]:
    # The msgid is the stored value itself, so English shows exactly what it always showed
    # and a translator sees which value is meant. One context for all enums: the same value
    # means the same thing in each (a "partner" circle, ladder stage or party is "Partner").
    return {
        "customer": pgettext("enum value", "customer"),
        "employee": pgettext("enum value", "employee"),
        "partner": pgettext("enum value", "partner"),
        "prospect": pgettext("enum value", "prospect"),
        "referrer": pgettext("enum value", "referrer"),
        "open": pgettext("enum value", "open"),
        "contacted": pgettext("enum value", "contacted"),
        "qualified": pgettext("enum value", "qualified"),
        "won": pgettext("enum value", "won"),
        "lost": pgettext("enum value", "lost"),
        "positive": pgettext("enum value", "positive"),
        "neutral": pgettext("enum value", "neutral"),
        "negative": pgettext("enum value", "negative"),
        "analysis": pgettext("enum value", "analysis"),
        "profile": pgettext("enum value", "profile"),
        "contact": pgettext("enum value", "contact"),
        "agreement": pgettext("enum value", "agreement"),
        "optimisation": pgettext("enum value", "optimisation"),
        "dropped": pgettext("enum value", "dropped"),
        "draft": pgettext("enum value", "draft"),
        "proposed": pgettext("enum value", "proposed"),
        "signed": pgettext("enum value", "signed"),
        "failed": pgettext("enum value", "failed"),
        "ended": pgettext("enum value", "ended"),
        "referrals_given": pgettext("enum value", "referrals_given"),
        "referrals_won": pgettext("enum value", "referrals_won"),
        "won_value": pgettext("enum value", "won_value"),
        "joint_events": pgettext("enum value", "joint_events"),
        "introductions": pgettext("enum value", "introductions"),
        "custom": pgettext("enum value", "custom"),
        "invited": pgettext("enum value", "invited"),
        "declined": pgettext("enum value", "declined"),
        "trial": pgettext("enum value", "trial"),
        "member": pgettext("enum value", "member"),
        "paused": pgettext("enum value", "paused"),
        "left": pgettext("enum value", "left"),
        "suggested": pgettext("enum value", "suggested"),
        "made": pgettext("enum value", "made"),
        "business_done": pgettext("enum value", "business_done"),
        "dismissed": pgettext("enum value", "dismissed"),
        "members": pgettext("enum value", "members"),
        "referrals": pgettext("enum value", "referrals"),
        "business_value": pgettext("enum value", "business_value"),
        "continue": pgettext("enum value", "continue"),
        "adjust": pgettext("enum value", "adjust"),
        "stop": pgettext("enum value", "stop"),
        "industry": pgettext("enum value", "industry"),
        "region": pgettext("enum value", "region"),
    }


# The labels in the language they were last built for: building all of them per call was
# a twentieth of the webhook worker's CPU (a stage change's audit reason names one).
_built: tuple[object, dict[str, str]] | None = None


def value_label(value: str) -> str:
    """``value`` as the reader says it; a value without a label (a custom one) as stored."""
    global _built  # noqa: PLW0603 - a cache of the current language's labels
    catalog = current().catalog
    if _built is None or _built[0] is not catalog:
        _built = (catalog, _labels())
    return _built[1].get(value, value)
