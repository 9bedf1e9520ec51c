"""The admin report: who the multipliers are and whether giving and taking are balanced,
plus goal progress, the network-intelligence sections (step 1 analysis, connectors, partner
candidates, club matchmaking, partner health).

Builds plain data (no formatting), so the CLI can render it as tables or JSON; the tables
both renderers show come from :mod:`connector.report_sections`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, func, select

from connector.club import ClubSection, build_club_sections
from connector.contributions import introduction_contributions
from connector.goals import AgreementProgress, JointEventSource, measure_agreements
from connector.intelligence import IntelligenceConfig
from connector.intelligence.summary import IntelligenceReport, build_intelligence
from connector.joint_events import load_attendance
from connector.model import (
    Agreement,
    AgreementStatus,
    Circle,
    Contribution,
    ContributionKind,
    ContributionStatus,
    Introduction,
    Partnership,
    Referral,
    ReferralStatus,
    Sentiment,
)
from connector.money import MoneyConfig, MoneyTotals
from connector.rules import DemotionProposal, RulesConfig
from connector.scores import (
    BalanceTallies,
    BalanceTally,
    MultiplierScore,
    MultiplierTallies,
    PairBalance,
    PairTallies,
)
from connector.services import demotion_proposals
from connector.store import Store
from connector.store import schema as tables

__all__ = [
    "MemberBalance",
    "NetworkReport",
    "RankedMultiplier",
    "ReferralRow",
    "build_report",
    "referral_rows",
]

_FETCH_ROWS = 5_000
# Agreements whose goals the report measures: running ones and those that ran to their end.
_MEASURED = (AgreementStatus.SIGNED, AgreementStatus.ENDED)


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
    won_value: MoneyTotals  # per currency, never summed across
    won_value_converted: Decimal | None  # in money.base_currency; None: a rate is missing
    money: MoneyConfig
    top_multipliers: list[RankedMultiplier]
    balances: list[MemberBalance]
    one_sided_pairs: list[PairBalance]
    demotions: list[DemotionProposal]
    goals: list[AgreementProgress]
    partners: dict[str, str]  # partnership id → partner's name, for the goals
    names: dict[str, str]  # member id → name, for every member the tables mention
    intelligence: IntelligenceReport
    club: list[ClubSection] = field(default_factory=list)  # issue #18: one per club
    # -- the contributions ledger (issue #18, item 5): given ones count in the balances --
    contributions_by_kind: dict[str, int] = field(default_factory=dict)  # given ones
    pending_rewards: list[Contribution] = field(default_factory=list)  # oldest first


class ReferralRow(NamedTuple):
    """The fields of a referral the report's measures and picture read (see
    :class:`~connector.scores.ReferralFacts`): a row, not a record, since the store
    validated every referral when it was written."""

    referrer_id: str
    referred_id: str
    recipient_id: str | None
    sentiment: Sentiment
    status: ReferralStatus
    amount: Decimal | None
    currency: str
    created_at: datetime


_STATUSES = {s.value: s for s in ReferralStatus}
_SENTIMENTS = {s.value: s for s in Sentiment}


def _light(row: Row[Any]) -> ReferralRow:
    return ReferralRow(
        row.referrer_id,
        row.referred_id,
        row.recipient_id,
        _SENTIMENTS[row.sentiment],
        _STATUSES[row.status],
        row.amount,
        row.currency,
        row.created_at,
    )


def referral_rows(db: Connection) -> Iterator[ReferralRow]:
    """Every referral as a light row, in id order, streamed."""
    table = tables.referrals
    query = select(table).order_by(table.c.id).execution_options(yield_per=_FETCH_ROWS)
    return (_light(row) for row in db.execute(query))


def _referrals(
    db: Connection, partner_ids: set[str]
) -> Iterator[tuple[ReferralRow, Referral | None]]:
    """Every referral, streamed, as a light row; with its record for a partner's referral.

    The store validated each referral when it was written; validating 200,000 again only
    to count and score them was a large share of the report's time, holding them all most
    of its memory, and even building each record unvalidated a fifth of it. So each row is
    streamed once as the few fields the measures read; health and goals count partners'
    referrals only, and get those as records (built without validation).
    """
    table = tables.referrals
    result = db.execute(select(table).execution_options(yield_per=_FETCH_ROWS))
    keys = list(result.keys())
    for row in result:
        referral = _light(row)
        record = None
        if row.referrer_id in partner_ids or row.recipient_id in partner_ids:
            data = dict(zip(keys, row, strict=True))
            data["circle"] = Circle(data["circle"])
            data["sentiment"] = referral.sentiment
            data["status"] = referral.status
            record = Referral.model_construct(**data)
        yield referral, record


def build_report(
    store: Store,
    rules: RulesConfig,
    *,
    as_of: datetime,
    top: int = 10,
    intelligence: IntelligenceConfig | None = None,
    money: MoneyConfig | None = None,
    events: JointEventSource | None = None,
) -> NetworkReport:
    """Everything ``refnet report`` shows.

    Members are only counted and named here, so they are read as columns and aggregated in
    SQL, not built into records (at 100,000 members that was half the report's time).
    Referrals are streamed in one pass feeding every measure, never all held; health and goals
    get the partners' referrals, the only ones they count.
    """
    money = money or MoneyConfig()
    members, partnerships_t = tables.members, tables.partnerships
    with store.reading() as tx:
        db = tx.connection
        circles: dict[str, int] = dict(
            db.execute(select(members.c.circle, func.count()).group_by(members.c.circle)).all()
        )
        ladder: dict[str, int] = dict(
            db.execute(
                select(members.c.ladder_stage, func.count())
                .where(members.c.ladder_stage.is_not(None))
                .group_by(members.c.ladder_stage)
            ).all()
        )
        pipeline: dict[str, int] = dict(
            db.execute(
                select(partnerships_t.c.stage, func.count()).group_by(partnerships_t.c.stage)
            ).all()
        )
        partnerships = list(tx.find(Partnership))
        agreements = [a for a in tx.find(Agreement) if a.status in _MEASURED]
        introductions = list(tx.find(Introduction))
        # Joint events recorded in the store measure the partners' joint-event goals (#18).
        events = events or load_attendance(tx)
        # One read of the members, as three plain columns (no record validation).
        people = {
            row.id: (row.name, row.circle, row.ladder_stage)
            for row in db.execute(
                select(members.c.id, members.c.name, members.c.circle, members.c.ladder_stage)
            )
        }
        partner_ids = {p.member_id for p in partnerships}
        contributions = [c for c in tx.find(Contribution) if c.created_at <= as_of]
        contributions += introduction_contributions(introductions)
        given = [c for c in contributions if c.counts and c.given_on and c.given_on <= as_of.date()]
        statuses: Counter[str] = Counter()
        won = MoneyTotals()
        multipliers = MultiplierTallies(money)
        member_balances = BalanceTallies(money)
        pair_tallies = PairTallies(money)
        # Health and goals look at partners' referrals only: kept from the pass.
        partner_referrals: list[Referral] = []
        # One pass feeds every measure: each row is read and built once, never held.
        for referral, record in _referrals(db, partner_ids):
            statuses[referral.status.value] += 1
            if referral.status is ReferralStatus.WON:
                won.add(referral.amount, referral.currency)
            if record is not None:
                partner_referrals.append(record)
            multipliers.add(referral)
            member_balances.add(referral)
            pair_tallies.add(referral)
        scores = multipliers.scores(rules.multiplier, as_of=as_of)
        tallies = member_balances.balances(given)
        all_pairs = pair_tallies.balances(given)
    ranked = [
        RankedMultiplier(
            rank,
            people[score.member_id][0],
            people[score.member_id][1],
            people[score.member_id][2],
            score,
            score.is_multiplier(rules.multiplier),
        )
        for rank, score in enumerate(scores[:top], start=1)
    ]
    # Members who both give and receive are the club's win-win relationships; show the most
    # lopsided first, since those are the ones to act on.
    balances = sorted(
        (
            MemberBalance(member_id, people[member_id][0], tally)
            for member_id, tally in tallies.items()
            if tally.received > 0
        ),
        key=lambda b: (-abs(b.tally.balance), -(b.tally.given + b.tally.received), b.member_id),
    )[:top]
    pairs = sorted(all_pairs, key=lambda p: (-abs(p.tally.balance), p.a, p.b))[:top]
    # A tally per member and per pair (300,000 at 100,000 members) is only needed for these
    # top rows; dropped before the network graph is loaded, so the two never share the peak.
    del multipliers, member_balances, pair_tallies, scores, tallies, all_pairs
    demotions = demotion_proposals(store, rules, as_of=as_of)
    partner_of = {p.id: p.member_id for p in partnerships}
    running = [a for a in agreements if a.period_start <= as_of.date()]
    measured = measure_agreements(
        running,
        partner_of,
        partner_referrals,
        introductions,
        as_of=as_of,
        money=money,
        events=events,
        contributions=given,
    )
    goals = sorted(measured.values(), key=lambda g: (g.partnership_id, g.agreement_id))
    # A reward counts as pending as of a day if it was owed by then and not yet given.
    pending = sorted(
        (
            c
            for c in contributions
            if c.status is ContributionStatus.PENDING
            or (
                c.kind is ContributionKind.REWARD
                and c.status is ContributionStatus.GIVEN
                and c.given_on is not None
                and c.given_on > as_of.date()
            )
        ),
        key=lambda c: (c.created_at, c.id),
    )
    return NetworkReport(
        as_of=as_of,
        members_by_circle=dict(sorted(circles.items())),
        ladder=dict(sorted(ladder.items())),
        pipeline=dict(sorted(pipeline.items())),
        referrals_by_status=dict(sorted(statuses.items())),
        won_value=won,
        won_value_converted=won.in_base(money),
        money=money,
        top_multipliers=ranked,
        balances=balances,
        one_sided_pairs=pairs,
        demotions=demotions,
        goals=goals,
        partners={g.partnership_id: people[partner_of[g.partnership_id]][0] for g in goals},
        names={
            member_id: people[member_id][0]
            for member_id in sorted(
                {p.a for p in pairs}
                | {p.b for p in pairs}
                | {d.member_id for d in demotions}
                | {c.receiver_id for c in pending if c.receiver_id}
            )
        },
        intelligence=build_intelligence(
            store,
            intelligence or IntelligenceConfig(),
            as_of=as_of,
            top=top,
            referrals=partner_referrals,
            introductions=introductions,
            money=money,
            events=events,
        ),
        club=build_club_sections(store, rules.club, as_of=as_of.date()),
        contributions_by_kind=dict(sorted(Counter(c.kind.value for c in given).items())),
        pending_rewards=pending,
    )
