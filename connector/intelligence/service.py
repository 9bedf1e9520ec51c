"""Network intelligence on the store: read the network, compute, and apply what a user accepts.

The measures themselves are pure (:mod:`~connector.intelligence.candidates`,
:mod:`~connector.intelligence.matchmaking`, ...). This module loads their input in one read
transaction and writes their accepted results the way every change in refnet is written:
new partnerships enter the pipeline through the pipeline's own state machine, introductions
start in ``suggested``, and each write carries an audit entry saying why, in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from connector.errors import InputError
from connector.intelligence.candidates import Candidate, Prospect, rank
from connector.intelligence.config import IntelligenceConfig
from connector.intelligence.connectors import ConnectorScore, connector_scores
from connector.intelligence.graph import NetworkGraph
from connector.intelligence.matchmaking import ClubMember, MatchStats, Suggestion, suggest
from connector.intelligence.paths import IntroRouter
from connector.model import (
    Club,
    Introduction,
    IntroductionStatus,
    Member,
    Membership,
    MembershipStatus,
    Partnership,
    PartnerStage,
    TargetProfile,
    new_id,
    utcnow,
)
from connector.rules import StageChange, move_partnership
from connector.services import Actor
from connector.store import Store, Tx
from connector.store import schema as tables

__all__ = [
    "ACTIVE_MEMBERSHIP",
    "ClubSuggestions",
    "add_candidates",
    "apply_suggestions",
    "candidate_pool",
    "candidates_for",
    "club_suggestions",
    "load_graph",
    "member_names",
    "rank_candidates",
    "resolve_club",
    "scores_by_member",
]

# Invited members have not joined yet, and paused or departed ones do not want new contacts.
ACTIVE_MEMBERSHIP = (MembershipStatus.MEMBER.value, MembershipStatus.TRIAL.value)


def load_graph(store: Store) -> NetworkGraph:
    with store.reading() as tx:
        return NetworkGraph.load(tx)


def member_names(tx: Tx) -> dict[str, str]:
    """Every member's name by id, read as two plain columns (no record validation)."""
    members = tables.members
    return {row.id: row.name for row in tx.connection.execute(select(members.c.id, members.c.name))}


def scores_by_member(store: Store, config: IntelligenceConfig) -> dict[str, ConnectorScore]:
    """Every member's connector score, computed once over the whole network."""
    graph = load_graph(store)
    return {s.member_id: s for s in connector_scores(graph, config.connector)}


def _partnership_of(partnerships: Sequence[Partnership], target_id: str) -> Partnership | None:
    """The member's partnership for this target profile, else its most recent other one."""
    for partnership in partnerships:
        if partnership.target_profile_id == target_id:
            return partnership
    return max(partnerships, key=lambda p: p.stage_changed_at, default=None)


CandidatePool = tuple[list[Prospect], dict[str, list[Partnership]]]


def candidate_pool(tx: Tx, config: IntelligenceConfig) -> CandidatePool:
    """The members of the candidate circles and the pipeline by member, read once.

    The members are read as the columns the ranking scores, not built into records: the
    store validated them when they were written, and at 100,000 members building them
    again was most of the ranking's time and memory.
    """
    table = tables.members
    profile = table.c.profile
    # Only the three profile fields scored, extracted by the database: decoding every
    # member's whole profile was a third of the read.
    query = select(
        table.c.id,
        table.c.name,
        table.c.circle,
        profile["industry"].as_string().label("industry"),
        profile["region"].as_string().label("region"),
        profile["offers"].label("offers"),
    ).where(table.c.circle.in_([circle.value for circle in config.candidate_circles]))
    # In the order the circles are configured, each by id: the order tx.find gave.
    by_circle: dict[str, list[Prospect]] = {c.value: [] for c in config.candidate_circles}
    for row in tx.connection.execute(query.order_by(table.c.id)):
        by_circle[row.circle].append(
            Prospect(
                row.id, row.name, row.circle, row.industry, row.region, tuple(row.offers or ())
            )
        )
    members = [prospect for circle in by_circle.values() for prospect in circle]
    pipeline: dict[str, list[Partnership]] = {}
    for entry in tx.find(Partnership):
        pipeline.setdefault(entry.member_id, []).append(entry)
    return members, pipeline


def candidates_for(
    tx: Tx,
    graph: NetworkGraph,
    router: IntroRouter,
    target: TargetProfile,
    config: IntelligenceConfig,
    *,
    top: int | None = None,
    pool: CandidatePool | None = None,
) -> list[Candidate]:
    """Members of the candidate circles ranked against ``target``, best first.

    ``pool`` is :func:`candidate_pool`'s read, when the caller ranks for several targets.

    Each carries its partnership if it is in the pipeline already and the company's best
    warm path to it (see :mod:`~connector.intelligence.paths`).
    """
    members, pipeline = pool if pool is not None else candidate_pool(tx, config)
    degrees = graph.degrees()
    reach = {member.id: degrees[graph.index[member.id]] for member in members}
    ranked = rank(members, reach, target, config.candidate_weights, top=top)
    paths = router.from_company([member.id for member, _ in ranked])
    candidates: list[Candidate] = []
    for position, (member, match) in enumerate(ranked, start=1):
        partnership = _partnership_of(pipeline.get(member.id, []), target.id)
        candidates.append(
            Candidate(
                rank=position,
                member_id=member.id,
                name=member.name,
                circle=member.circle,
                reach=reach[member.id],
                match=match,
                partnership_id=partnership.id if partnership else None,
                partnership_stage=partnership.stage.value if partnership else None,
                path=paths[member.id],
            )
        )
    return candidates


def rank_candidates(
    store: Store, target_id: str, config: IntelligenceConfig, *, top: int | None = None
) -> tuple[TargetProfile, list[Candidate]]:
    """The target profile and its candidates, best first (``top`` of them if given)."""
    with store.reading() as tx:
        target = tx.get(TargetProfile, target_id)
        graph = NetworkGraph.load(tx)
        router = IntroRouter(graph, config.paths)
        return target, candidates_for(tx, graph, router, target, config, top=top)


def add_candidates(
    store: Store,
    target_id: str,
    config: IntelligenceConfig,
    *,
    count: int,
    min_score: float,
    actor: Actor,
    at: datetime | None = None,
) -> list[StageChange]:
    """Put the ``count`` best candidates not yet in the pipeline on it; returns the changes.

    A candidate qualifies with a score of at least ``min_score``. Its partnership starts in
    ``analysis`` (step 1) with the employee at the start of the best warm path as its owner;
    with ``candidate_stage = profile`` it then moves on through the pipeline's state
    machine, since the target profile (step 2) exists already. Each step is audited with
    the candidate's score and explanation.
    """
    when = at or utcnow()
    target, ranked = rank_candidates(store, target_id, config)
    chosen = [c for c in ranked if c.partnership_id is None and c.match.score >= min_score]
    changes: list[StageChange] = []
    with store.transaction() as tx:
        for candidate in chosen[:count]:
            partnership = Partnership(
                id=new_id("pn", f"{target.id}:{candidate.member_id}"),
                member_id=candidate.member_id,
                target_profile_id=target.id,
                owner_id=candidate.path.source_id if candidate.path else None,
                stage=PartnerStage.ANALYSIS,
                stage_changed_at=when,
            )
            steps = [
                StageChange(
                    "partnership",
                    partnership.id,
                    "stage",
                    None,
                    PartnerStage.ANALYSIS.value,
                    f"candidate for target profile '{target.name}', score "
                    f"{candidate.match.score:.1f}: {candidate.match.summary}",
                )
            ]
            if config.candidate_stage is PartnerStage.PROFILE:
                partnership, moved = move_partnership(
                    partnership,
                    PartnerStage.PROFILE,
                    at=when,
                    reason=f"scored against target profile '{target.name}' (step 2)",
                )
                steps.append(moved)
            tx.put(partnership)
            for step in steps:
                tx.audit(step, actor=actor.name, event_ref=actor.event_ref)
            changes += steps
    return changes


def resolve_club(tx: Tx, club_id: str | None) -> Club:
    """The named club, or the only one when none is named."""
    if club_id is not None:
        return tx.get(Club, club_id)
    clubs = list(tx.find(Club))
    if len(clubs) != 1:
        known = ", ".join(c.id for c in clubs) or "none"
        raise InputError(f"name a club with --club; clubs: {known}")
    return clubs[0]


def _club_members(tx: Tx, club: Club) -> list[ClubMember]:
    ids = [
        m.member_id
        for m in tx.find(Membership, club_id=club.id)
        if m.status.value in ACTIVE_MEMBERSHIP
    ]
    members = tx.find_in(Member, {"id": ids})
    return [
        ClubMember(
            m.id,
            m.name,
            tuple(m.profile.offers),
            tuple(m.profile.needs),
            tuple(m.profile.goals),
        )
        for m in members
    ]


def _introduced(tx: Tx) -> set[frozenset[str]]:
    # Any introduction counts, in any club and any state: a dismissed pair said no already.
    return {frozenset((i.member_a_id, i.member_b_id)) for i in tx.find(Introduction)}


@dataclass(frozen=True)
class ClubSuggestions:
    club: Club
    suggestions: list[Suggestion]
    stats: MatchStats


def club_suggestions(
    store: Store, club_id: str | None, config: IntelligenceConfig
) -> ClubSuggestions:
    """Balanced introduction suggestions for a club's active members (nothing written)."""
    with store.reading() as tx:
        club = resolve_club(tx, club_id)
        members = _club_members(tx, club)
        introduced = _introduced(tx)
    matching = config.matchmaking
    suggestions, stats = suggest(
        members,
        introduced,
        per_member=matching.per_member,
        goal_weight=matching.goal_weight,
        options_kept=matching.options_kept,
    )
    return ClubSuggestions(club, suggestions, stats)


def apply_suggestions(
    store: Store,
    found: ClubSuggestions,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> list[Introduction]:
    """Write each suggestion as an introduction in ``suggested``, with its reason, audited.

    Pairs introduced in the meantime (by another user or run) are left out, so applying the
    same suggestions twice writes nothing the second time.
    """
    when = at or utcnow()
    written: list[Introduction] = []
    with store.transaction() as tx:
        introduced = _introduced(tx)
        for suggestion in found.suggestions:
            a, b = suggestion.match.a, suggestion.match.b
            if frozenset((a, b)) in introduced:
                continue
            introduction = Introduction(
                id=new_id("int", f"{found.club.id}:{a}:{b}"),
                club_id=found.club.id,
                member_a_id=a,
                member_b_id=b,
                status=IntroductionStatus.SUGGESTED,
                reason=suggestion.reason,
                created_at=when,
                status_changed_at=when,
            )
            tx.put(introduction)
            tx.audit(
                StageChange(
                    "introduction",
                    introduction.id,
                    "status",
                    None,
                    IntroductionStatus.SUGGESTED.value,
                    f"matchmaking in club '{found.club.name}', score "
                    f"{suggestion.match.score:g}: {suggestion.reason}",
                ),
                actor=actor.name,
                event_ref=actor.event_ref,
            )
            introduced.add(frozenset((a, b)))
            written.append(introduction)
    return written
