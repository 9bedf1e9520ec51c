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

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from connector.i18n import gettext as _
from connector.intelligence.config import CandidateWeights
from connector.intelligence.paths import WarmPath
from connector.model import Member, TargetProfile
from connector.report_format import number, percent
from connector.report_words import value_label

__all__ = ["Candidate", "CandidateMatch", "Criterion", "Prospect", "rank", "score_candidate"]


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


@dataclass(frozen=True, slots=True)
class Prospect:
    """A member of the candidate circles as the ranking reads it: the columns it scores.

    The ranking looks at every member of the candidate circles (three quarters of a
    network); a validated :class:`~connector.model.Member` each was most of its time.
    """

    id: str
    name: str
    circle: str
    industry: str | None
    region: str | None
    offers: tuple[str, ...]


def _weighted_score(criteria: Sequence[tuple[bool, float, float]]) -> float:
    """``100 · Σ w·m / Σ w`` over the criteria (applies, weight, match) that count."""
    counted = [(weight, match) for applies, weight, match in criteria if applies and weight > 0]
    total = sum(weight for weight, _ in counted)
    return 100.0 * sum(weight * match for weight, match in counted) / total if total else 0.0


class _Scorer:
    """One target's score for many prospects, without the explanations (the ranking only
    needs the number; the sentences are written for the few it shows)."""

    def __init__(self, target: TargetProfile, weights: CandidateWeights) -> None:
        self._industries = {w.casefold() for w in target.industries}
        self._regions = {w.casefold() for w in target.regions}
        self._offers = [w.casefold() for w in target.offers]
        self._min_reach = target.min_reach
        self._weights = weights
        self._known: dict[tuple[str | None, str | None, tuple[str, ...], int], float] = {}

    def score(self, prospect: Prospect, reach: int) -> float:
        # Prospects share a few industries, regions and offer lists: each combination is
        # scored once (the ranking scores three quarters of the network per target).
        key = (prospect.industry, prospect.region, prospect.offers, reach)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._score(*key)
        return known

    def _score(
        self, industry: str | None, region: str | None, offers: tuple[str, ...], reach: int
    ) -> float:
        weights = self._weights
        have = {o.casefold() for o in offers}
        wanted = self._offers
        return _weighted_score(
            (
                (
                    bool(self._industries),
                    weights.industry,
                    1.0 if industry and industry.casefold() in self._industries else 0.0,
                ),
                (
                    bool(self._regions),
                    weights.region,
                    1.0 if region and region.casefold() in self._regions else 0.0,
                ),
                (
                    bool(wanted),
                    weights.offers,
                    len([w for w in wanted if w in have]) / len(wanted) if wanted else 0.0,
                ),
                (
                    self._min_reach > 0,
                    weights.reach,
                    min(reach / self._min_reach, 1.0) if self._min_reach > 0 else 0.0,
                ),
            )
        )


def _explained(
    industry: str | None,
    region: str | None,
    offers: Sequence[str],
    reach: int,
    target: TargetProfile,
    weights: CandidateWeights,
) -> CandidateMatch:
    criteria = (
        _one_of("industry", industry, target.industries, weights.industry),
        _one_of("region", region, target.regions, weights.region),
        _offers(offers, target.offers, weights.offers),
        _reach(reach, target.min_reach, weights.reach),
    )
    score = _weighted_score([(c.applies, c.weight, c.match) for c in criteria])
    return CandidateMatch(score, criteria)


def score_candidate(
    member: Member, reach: int, target: TargetProfile, weights: CandidateWeights
) -> CandidateMatch:
    """Score one member against a target profile (see the module docstring)."""
    profile = member.profile
    return _explained(profile.industry, profile.region, profile.offers, reach, target, weights)


def rank(
    prospects: Sequence[Prospect],
    reach: dict[str, int],
    target: TargetProfile,
    weights: CandidateWeights,
    *,
    top: int | None = None,
) -> list[tuple[Prospect, CandidateMatch]]:
    """The ``top`` prospects (all if None) scored and explained, best first; equal scores by
    wider reach, then by id."""
    scorer = _Scorer(target, weights)
    keyed = [
        (-scorer.score(p, reach.get(p.id, 0)), -reach.get(p.id, 0), p.id, p) for p in prospects
    ]
    # The key ends in the unique id, so the prospects themselves are never compared.
    best = keyed if top is None else heapq.nsmallest(top, keyed, key=lambda k: k[:3])
    if top is None:
        best.sort(key=lambda k: k[:3])
    return [
        (p, _explained(p.industry, p.region, p.offers, reach.get(p.id, 0), target, weights))
        for _, _, _, p in best
    ]
