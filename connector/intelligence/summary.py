"""Every network-intelligence measure for the report, computed over one read of the store.

Nothing here is written: club suggestions are a preview of what ``refnet intel suggest
--apply`` would create, candidates a preview of ``refnet intel candidates --add``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.contributions.derived import introduction_contributions
from connector.goals import JointEventSource
from connector.intelligence.candidates import Candidate
from connector.intelligence.config import IntelligenceConfig
from connector.intelligence.connectors import ConnectorScore, connector_scores, top_connectors
from connector.intelligence.graph import NetworkGraph
from connector.intelligence.health import PartnerHealth, partner_health
from connector.intelligence.matchmaking import MatchStats, Suggestion
from connector.intelligence.network import NetworkAnalysis, activated_members, analyse_network
from connector.intelligence.paths import IntroRouter
from connector.intelligence.service import (
    candidate_pool,
    candidates_for,
    club_suggestions,
    member_names,
)
from connector.intelligence.upkeep import UpkeepAnalysis, analyse_upkeep
from connector.joint_events import load_attendance
from connector.model import (
    Agreement,
    Circle,
    Club,
    Contribution,
    Introduction,
    Partnership,
    Referral,
    TargetProfile,
)
from connector.money import MoneyConfig
from connector.store import Store

__all__ = [
    "ClubPreview",
    "IntelligenceReport",
    "RankedConnector",
    "TargetCandidates",
    "build_intelligence",
]


@dataclass(frozen=True)
class RankedConnector:
    rank: int
    name: str
    circle: str
    score: ConnectorScore


@dataclass(frozen=True)
class TargetCandidates:
    target_id: str
    target_name: str
    candidates: list[Candidate]


@dataclass(frozen=True)
class ClubPreview:
    club_id: str
    club_name: str
    suggestions: list[Suggestion]
    stats: MatchStats


@dataclass(frozen=True)
class IntelligenceReport:
    analysis: NetworkAnalysis
    connectors: list[RankedConnector]
    betweenness_exact: bool
    candidates: list[TargetCandidates]
    clubs: list[ClubPreview]
    health: list[PartnerHealth]
    names: dict[str, str]  # member id → name, for every member the sections mention
    # Step-1 coverage and cooling relationships (issue #18); None only where not built.
    upkeep: UpkeepAnalysis | None = None


def build_intelligence(
    store: Store,
    config: IntelligenceConfig,
    *,
    as_of: datetime,
    top: int = 10,
    referrals: Sequence[Referral] | None = None,
    introductions: Sequence[Introduction] | None = None,
    money: MoneyConfig | None = None,
    events: JointEventSource | None = None,
) -> IntelligenceReport:
    """The report's intelligence sections; each list is cut to ``top`` rows.

    ``referrals`` and ``introductions`` are the ones the caller read already (the report
    does), so they are not read a second time.
    """
    with store.reading() as tx:
        graph = NetworkGraph.load(tx)
        router = IntroRouter(graph, config.paths)
        analysis = analyse_network(graph, router, activated_members(tx), config.paths, top=top)
        targets = list(tx.find(TargetProfile))
        # Read once for every target: at 100,000 members this read was the report's largest.
        pool = candidate_pool(tx, config) if targets else None
        candidates = [
            TargetCandidates(
                target.id,
                target.name,
                candidates_for(tx, graph, router, target, config, top=top, pool=pool),
            )
            for target in targets
        ]
        # Joint events recorded in the store measure the partners' joint-event goals (#18).
        events = events or load_attendance(tx)
        health = partner_health(
            tx.find(Partnership),
            member_names(tx),
            tx.find(Referral) if referrals is None else referrals,
            tx.find(Agreement),
            config.health,
            as_of=as_of,
            introductions=tx.find(Introduction) if introductions is None else introductions,
            money=money,
            events=events,
            contributions=[
                *tx.find(Contribution),
                *introduction_contributions(
                    tx.find(Introduction) if introductions is None else introductions
                ),
            ],
        )
        club_ids = [club.id for club in tx.find(Club)]
        upkeep = analyse_upkeep(tx, config.paths, config.upkeep, as_of=as_of.date(), top=top)
    scores = connector_scores(graph, config.connector)
    # Employees bridge the company's whole network by construction and have their own table;
    # the connectors worth finding are the customers, partners and prospects who bridge.
    outside = [s for s in scores if graph.circles[graph.index[s.member_id]] is not Circle.EMPLOYEE]
    connectors = [
        RankedConnector(
            rank,
            graph.names[graph.index[score.member_id]],
            graph.circles[graph.index[score.member_id]].value,
            score,
        )
        for rank, score in enumerate(top_connectors(outside, top), start=1)
    ]
    clubs = []
    for club_id in club_ids:
        found = club_suggestions(store, club_id, config)
        clubs.append(ClubPreview(club_id, found.club.name, found.suggestions[:top], found.stats))
    mentioned = {o.a for o in analysis.overlaps} | {o.b for o in analysis.overlaps}
    mentioned |= {u.known_by for u in analysis.unactivated}
    mentioned |= {m for c in clubs for s in c.suggestions for m in (s.match.a, s.match.b)}
    mentioned |= {
        m
        for target in candidates
        for c in target.candidates
        if c.path is not None
        for m in c.path.members
    }
    mentioned |= {m for t in upkeep.cooling for m in (t.employee_id, t.member_id)}
    return IntelligenceReport(
        analysis=analysis,
        connectors=connectors,
        betweenness_exact=all(s.exact for s in scores),
        candidates=candidates,
        clubs=clubs,
        health=health[:top],
        names={m: graph.names[graph.index[m]] for m in sorted(mentioned)},
        upkeep=upkeep,
    )
