"""Partner candidates (steps 2–3): score members against a target profile, rank, explain.

Each criterion of a :class:`~connector.model.TargetProfile` yields a match ``m`` in [0, 1]
and one sentence saying why:

* **industry** — 1 if the member's industry is one of the wanted industries, else 0;
* **region** — 1 if the member's region is one of the wanted regions, else 0;
* **offers** — the share of the wanted offers the member offers (``|wanted ∩ offers| /
  |wanted|``);
* **reach** — ``min(connections / min_reach, 1)``, where connections is the member's reach
  (distinct members it is connected to).

Tags compare case-insensitively. A criterion the profile leaves empty (no industries, or
``min_reach = 0``) does not apply and is left out of the score rather than counted as a
match, so a vague profile cannot make every candidate look perfect.

``score = 100 · Σ w_c · m_c / Σ w_c`` over the applicable criteria with positive weight
(:class:`CandidateWeights`), in [0, 100]; 0 when no criterion applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.i18n import gettext as _
from connector.intelligence.config import CandidateWeights
from connector.intelligence.paths import WarmPath
from connector.model import Member, TargetProfile
from connector.report_format import number, percent
from connector.report_words import value_label

__all__ = ["Candidate", "CandidateMatch", "Criterion", "rank", "score_candidate"]


@dataclass(frozen=True)
class Criterion:
    name: str
    applies: bool
    weight: float
    match: float
    explanation: str


@dataclass(frozen=True)
class CandidateMatch:
    score: float
    criteria: tuple[Criterion, ...]

    @property
    def summary(self) -> str:
        """The applicable criteria's explanations in one line (for reasons and tables)."""
        return "; ".join(c.explanation for c in self.criteria if c.applies)


@dataclass(frozen=True)
class Candidate:
    """A ranked candidate, what it already is in the pipeline, and who can reach it."""

    rank: int
    member_id: str
    name: str
    circle: str
    reach: int
    match: CandidateMatch
    partnership_id: str | None
    partnership_stage: str | None
    path: WarmPath | None  # the company's best warm path to the candidate


def _listing(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "-"


def _one_of(name: str, value: str | None, wanted: Sequence[str], weight: float) -> Criterion:
    label = value_label(name)
    if not wanted:
        return Criterion(
            name, False, weight, 0.0, _("no {criterion} wanted").format(criterion=label)
        )
    if not value:
        return Criterion(
            name, True, weight, 0.0, _("no {criterion} on the profile").format(criterion=label)
        )
    if value.casefold() in {w.casefold() for w in wanted}:
        return Criterion(
            name,
            True,
            weight,
            1.0,
            _("{criterion} '{value}' is wanted").format(criterion=label, value=value),
        )
    return Criterion(
        name,
        True,
        weight,
        0.0,
        _("{criterion} '{value}' is not one of {wanted}").format(
            criterion=label, value=value, wanted=_listing(wanted)
        ),
    )


def _offers(offers: Sequence[str], wanted: Sequence[str], weight: float) -> Criterion:
    if not wanted:
        return Criterion("offers", False, weight, 0.0, _("no offers wanted"))
    have = {o.casefold() for o in offers}
    matched = [w for w in wanted if w.casefold() in have]
    if not matched:
        text = _("offers none of {wanted}").format(wanted=_listing(wanted))
    else:
        text = _("offers {matched} ({count} of {wanted} wanted)").format(
            matched=_listing(matched), count=len(matched), wanted=len(wanted)
        )
    return Criterion("offers", True, weight, len(matched) / len(wanted), text)


def _reach(reach: int, min_reach: int, weight: float) -> Criterion:
    if min_reach <= 0:
        return Criterion(
            "reach",
            False,
            weight,
            0.0,
            _("{reach} connections, no minimum wanted").format(reach=number(reach)),
        )
    match = min(reach / min_reach, 1.0)
    if match >= 1.0:
        text = _("{reach} connections, enough the {minimum} wanted")
    else:
        text = _("{reach} connections, {share} of the {minimum} wanted")
    return Criterion(
        "reach",
        True,
        weight,
        match,
        text.format(reach=number(reach), share=percent(match), minimum=number(min_reach)),
    )


def score_candidate(
    member: Member, reach: int, target: TargetProfile, weights: CandidateWeights
) -> CandidateMatch:
    """Score one member against a target profile (see the module docstring)."""
    profile = member.profile
    criteria = (
        _one_of("industry", profile.industry, target.industries, weights.industry),
        _one_of("region", profile.region, target.regions, weights.region),
        _offers(profile.offers, target.offers, weights.offers),
        _reach(reach, target.min_reach, weights.reach),
    )
    counted = [c for c in criteria if c.applies and c.weight > 0]
    total = sum(c.weight for c in counted)
    score = 100.0 * sum(c.weight * c.match for c in counted) / total if total else 0.0
    return CandidateMatch(score, criteria)


def rank(
    members: Sequence[Member],
    reach: dict[str, int],
    target: TargetProfile,
    weights: CandidateWeights,
) -> list[tuple[Member, CandidateMatch]]:
    """Every member scored, best first; equal scores by wider reach, then by id."""
    scored = [(m, score_candidate(m, reach.get(m.id, 0), target, weights)) for m in members]
    scored.sort(key=lambda pair: (-pair[1].score, -reach.get(pair[0].id, 0), pair[0].id))
    return scored
