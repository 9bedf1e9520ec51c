"""The admin report: who the multipliers are and whether giving and taking are balanced,
plus the network-intelligence sections (step 1 analysis, connectors, partner candidates,
club matchmaking, partner health).

Builds plain data (no formatting), so the CLI can render it as tables or JSON.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connector.club import ClubSection, build_club_sections
from connector.intelligence import IntelligenceConfig
from connector.intelligence.summary import IntelligenceReport, build_intelligence
from connector.model import Member, Partnership, Referral, ReferralStatus
from connector.rules import DemotionProposal, RulesConfig
from connector.scores import (
    BalanceTally,
    MultiplierScore,
    PairBalance,
    multiplier_scores,
    pair_balances,
    win_win_balances,
)
from connector.services import demotion_proposals
from connector.store import Store

__all__ = ["MemberBalance", "NetworkReport", "RankedMultiplier", "build_report"]


@dataclass(frozen=True)
class RankedMultiplier:
    rank: int
    name: str
    circle: str
    ladder_stage: str | None
    score: MultiplierScore
    is_multiplier: bool


@dataclass(frozen=True)
class MemberBalance:
    member_id: str
    name: str
    tally: BalanceTally


@dataclass(frozen=True)
class NetworkReport:
    as_of: datetime
    members_by_circle: dict[str, int]
    ladder: dict[str, int]
    pipeline: dict[str, int]
    referrals_by_status: dict[str, int]
    won_value: Decimal
    top_multipliers: list[RankedMultiplier]
    balances: list[MemberBalance]
    one_sided_pairs: list[PairBalance]
    demotions: list[DemotionProposal]
    names: dict[str, str]  # member id → name, for every member the tables mention
    intelligence: IntelligenceReport
    club: list[ClubSection] = field(default_factory=list)  # issue #18: one per club


def build_report(
    store: Store,
    rules: RulesConfig,
    *,
    as_of: datetime,
    top: int = 10,
    intelligence: IntelligenceConfig | None = None,
) -> NetworkReport:
    """Everything ``refnet report`` shows, computed in one pass over the referrals."""
    with store.reading() as tx:
        names: dict[str, Member] = {m.id: m for m in tx.find(Member)}
        circles = Counter(m.circle.value for m in names.values())
        ladder = Counter(m.ladder_stage.value for m in names.values() if m.ladder_stage)
        pipeline = Counter(p.stage.value for p in tx.find(Partnership))
        referrals = list(tx.find(Referral))
    statuses = Counter(r.status.value for r in referrals)
    won_value = sum(
        (r.amount or Decimal(0) for r in referrals if r.status is ReferralStatus.WON), Decimal(0)
    )
    ranked = [
        RankedMultiplier(
            rank,
            names[score.member_id].name,
            names[score.member_id].circle.value,
            stage.value if (stage := names[score.member_id].ladder_stage) else None,
            score,
            score.is_multiplier(rules.multiplier),
        )
        for rank, score in enumerate(
            multiplier_scores(referrals, rules.multiplier, as_of=as_of)[:top], start=1
        )
    ]
    tallies = win_win_balances(referrals)
    # Members who both give and receive are the club's win-win relationships; show the most
    # lopsided first, since those are the ones to act on.
    balances = sorted(
        (
            MemberBalance(member_id, names[member_id].name, tally)
            for member_id, tally in tallies.items()
            if tally.received > 0
        ),
        key=lambda b: (-abs(b.tally.balance), -(b.tally.given + b.tally.received), b.member_id),
    )[:top]
    pairs = sorted(
        pair_balances(referrals),
        key=lambda p: (-abs(p.tally.balance), p.a, p.b),
    )[:top]
    demotions = demotion_proposals(store, rules, as_of=as_of)
    return NetworkReport(
        as_of=as_of,
        members_by_circle=dict(sorted(circles.items())),
        ladder=dict(sorted(ladder.items())),
        pipeline=dict(sorted(pipeline.items())),
        referrals_by_status=dict(sorted(statuses.items())),
        won_value=won_value,
        top_multipliers=ranked,
        balances=balances,
        one_sided_pairs=pairs,
        demotions=demotions,
        names={
            member_id: names[member_id].name
            for member_id in sorted(
                {p.a for p in pairs} | {p.b for p in pairs} | {d.member_id for d in demotions}
            )
        },
        intelligence=build_intelligence(
            store, intelligence or IntelligenceConfig(), as_of=as_of, top=top
        ),
        club=build_club_sections(store, rules.club, as_of=as_of.date()),
    )
