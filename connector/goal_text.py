"""Free-text goals of older agreement files, read into structured goals where unambiguous.

Agreements used to carry their goals as text ("3 referrals per year", "2 gemeinsame
Veranstaltungen pro Halbjahr"). A text becomes a :class:`~connector.model.Goal` when it
names exactly one number, exactly one measurable metric and at most one period that divides
the agreement's period evenly; "3 Empfehlungen pro Quartal" over a one-year agreement is a
target of 12. Anything else is not guessed at: the text is kept in the agreement's notes and
the import says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from connector.i18n import gettext as _
from connector.model import GoalMetric

__all__ = ["ParsedGoal", "parse_goal_text"]

_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "one": 1, "a": 1, "an": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9,
    "nine": 9, "zehn": 10, "ten": 10, "zwölf": 12, "twelve": 12,
}  # fmt: skip
# Metric → words that name it (checked in this order; the first that matches wins only
# when no other metric matches too).
_METRICS: dict[GoalMetric, tuple[str, ...]] = {
    GoalMetric.WON_VALUE: (r"€", r"\beur\b", r"\beuro\b", r"umsatz", r"won value", r"revenue"),
    GoalMetric.REFERRALS_WON: (
        r"abschl(ü|ue)ss", r"gewonnen", r"\bwon\b", r"deals?\b", r"auftr(ä|ae)ge",
    ),
    GoalMetric.JOINT_EVENTS: (r"veranstaltung", r"\bevents?\b", r"workshops?", r"webinar"),
    GoalMetric.INTRODUCTIONS: (r"vorstellung", r"introduction", r"kontakte vermittel"),
    GoalMetric.CONTRIBUTIONS: (
        r"beitr(ä|ae)ge?\b", r"contributions?", r"gef(ä|ae)lligkeit", r"favou?rs?\b",
    ),
    GoalMetric.REFERRALS_GIVEN: (r"empfehlung", r"referral", r"\bleads?\b"),
}  # fmt: skip
_PERIODS = {  # word → months
    "jahr": 12, "year": 12, "jährlich": 12, "annually": 12, "halbjahr": 6, "half-year": 6,
    "quartal": 3, "quarter": 3, "monat": 1, "month": 1, "monatlich": 1, "monthly": 1,
}  # fmt: skip
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.\s]\d{3})+|\d+(?:,\d+)?)(\s*(?:k|tsd\.?|tausend))?")
_PER = re.compile(
    r"\b(?:pro|per|je|im|jedes|jeden|each|a|every)\s+(" + "|".join(_PERIODS) + r")\b"
    r"|\b(jährlich|annually|monatlich|monthly)\b"
)


@dataclass(frozen=True)
class ParsedGoal:
    metric: GoalMetric
    target: float


def _months(start: date, end: date) -> int | None:
    """Whole months from ``start`` to ``end`` inclusive; None when not whole."""
    after = end + timedelta(days=1)
    if after.day != start.day:
        return None
    return (after.year - start.year) * 12 + after.month - start.month


def _numbers(text: str) -> list[float]:
    found = []
    for match in _NUMBER.finditer(text):
        digits = match.group(1).replace(".", "").replace(" ", "").replace(",", ".")
        value = float(digits)
        if match.group(2):
            value *= 1000
        found.append(value)
    words = [w for w in re.findall(r"[a-zäöüß-]+", text) if w in _WORDS and w not in ("a", "an")]
    return found + [float(_WORDS[w]) for w in words]


def parse_goal_text(text: str, period_start: date, period_end: date) -> ParsedGoal | str:
    """The goal ``text`` names, or why it cannot be read unambiguously (in the reader's
    language: the import prints it after "it", "es")."""
    lowered = text.casefold()
    metrics = [m for m, words in _METRICS.items() if any(re.search(w, lowered) for w in words)]
    # "won referrals" names deals won, not referrals given; "won value" names the value.
    if GoalMetric.WON_VALUE in metrics:
        metrics = [GoalMetric.WON_VALUE]
    elif GoalMetric.REFERRALS_WON in metrics and GoalMetric.REFERRALS_GIVEN in metrics:
        metrics.remove(GoalMetric.REFERRALS_GIVEN)
    if len(metrics) != 1:
        return _("names no measurable metric") if not metrics else _("names more than one metric")
    numbers = _numbers(lowered)
    if len(numbers) != 1 or numbers[0] <= 0:
        return _("names no target number") if not numbers else _("names more than one number")
    per = [m.group(1) or m.group(2) for m in _PER.finditer(lowered)]
    target = numbers[0]
    if len(per) > 1:
        return _("names more than one period")
    if per:
        months, length = _PERIODS[per[0]], _months(period_start, period_end)
        if length is None or length % months:
            return _(
                "its period ('{period}') does not divide the agreement's period evenly"
            ).format(period=per[0])
        target *= length // months
    return ParsedGoal(metrics[0], target)
