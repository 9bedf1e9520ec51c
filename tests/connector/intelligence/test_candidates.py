"""Partner candidates: scoring against a target profile, explained, and fed to the pipeline."""

from __future__ import annotations

import pytest

from connector.intelligence import CandidateWeights, IntelligenceConfig, score_candidate
from connector.intelligence.service import add_candidates, rank_candidates
from connector.model import (
    Circle,
    Connection,
    Member,
    Partnership,
    PartnerStage,
    Profile,
    TargetProfile,
)
from connector.services import Actor
from connector.store import Store
from tests.connector import factories

TARGET = TargetProfile(
    id="tp-1",
    name="Regional multiplier",
    industries=["Bank", "Chamber"],
    regions=["Stuttgart"],
    offers=["introductions", "events", "funding programmes", "venues"],
    min_reach=10,
)
WEIGHTS = CandidateWeights()  # industry 0.3, region 0.2, offers 0.3, reach 0.2


def _candidate(member_id: str, **profile: object) -> Member:
    return factories.member(member_id, Circle.PARTNER, profile=Profile(**profile))  # type: ignore[arg-type]


def test_each_criterion_scores_and_explains_itself() -> None:
    member = _candidate(
        "p1", industry="bank", region="Esslingen", offers=["Events", "introductions", "loans"]
    )
    match = score_candidate(member, 5, TARGET, WEIGHTS)
    by_name = {c.name: c for c in match.criteria}
    assert by_name["industry"].match == 1.0  # case-insensitive
    assert by_name["region"].match == 0.0
    assert by_name["offers"].match == 0.5  # 2 of the 4 wanted
    assert by_name["reach"].match == 0.5  # 5 of the 10 wanted
    # 100 · (0.3 · 1 + 0.2 · 0 + 0.3 · 0.5 + 0.2 · 0.5) / 1.0
    assert match.score == pytest.approx(55.0)
    assert by_name["industry"].explanation == "industry 'bank' is wanted"
    assert by_name["region"].explanation == "region 'Esslingen' is not one of Stuttgart"
    assert by_name["offers"].explanation == "offers introductions, events (2 of 4 wanted)"
    assert by_name["reach"].explanation == "5 connections, 50% of the 10 wanted"
    assert match.summary.startswith("industry 'bank' is wanted; region 'Esslingen'")


def test_criteria_the_profile_leaves_open_do_not_count() -> None:
    vague = TargetProfile(id="tp-2", name="Anyone in Stuttgart", regions=["Stuttgart"])
    match = score_candidate(_candidate("p1", region="Stuttgart"), 0, vague, WEIGHTS)
    assert match.score == 100.0  # only the region applies, and it matches
    assert [c.name for c in match.criteria if c.applies] == ["region"]
    assert "no industry wanted" in [c.explanation for c in match.criteria]
    empty = score_candidate(_candidate("p2"), 3, TargetProfile(id="t", name="t"), WEIGHTS)
    assert empty.score == 0.0


def test_a_missing_profile_value_explains_itself() -> None:
    match = score_candidate(_candidate("p1"), 10, TARGET, WEIGHTS)
    texts = [c.explanation for c in match.criteria]
    assert texts[:2] == ["no industry on the profile", "no region on the profile"]
    assert texts[3] == "10 connections, enough the 10 wanted"
    assert match.score == pytest.approx(20.0)  # reach only


@pytest.fixture
def pipeline_store(store: Store) -> Store:
    """e1 knows p1 and p2; p3 fits nowhere; p2 is already on the pipeline."""
    members = [
        factories.member("e1", Circle.EMPLOYEE),
        _candidate("p1", industry="bank", region="Stuttgart", offers=["events"]),
        _candidate("p2", industry="chamber", region="Stuttgart", offers=["events", "venues"]),
        _candidate("p3", industry="bakery", region="Hamburg"),
        factories.member("c1"),
    ]
    connections = [
        Connection(id="k1", from_id="e1", to_id="p1", strength=4),
        Connection(id="k2", from_id="e1", to_id="p2", strength=2),
        Connection(id="k3", from_id="p1", to_id="c1", strength=3),
    ]
    with store.transaction() as tx:
        tx.put_many([*members, *connections, TARGET])
        tx.put(factories.partnership(id="pn-old", member_id="p2", stage=PartnerStage.CONTACT))
    return store


def test_candidates_rank_best_first_with_pipeline_stage_and_warm_path(
    pipeline_store: Store,
) -> None:
    _, ranked = rank_candidates(pipeline_store, "tp-1", IntelligenceConfig())
    assert [c.member_id for c in ranked[:3]] == ["p2", "p1", "c1"]
    p2, p1 = ranked[0], ranked[1]
    assert p2.partnership_stage == "contact"
    assert p1.partnership_id is None
    assert p1.path is not None and p1.path.members == ["e1", "p1"]
    assert ranked[-1].member_id == "p3"
    assert ranked[-1].match.score == pytest.approx(0.0)


def test_adding_candidates_enters_the_pipeline_in_analysis_with_an_audit_entry(
    pipeline_store: Store,
) -> None:
    changes = add_candidates(
        pipeline_store,
        "tp-1",
        IntelligenceConfig(),
        count=5,
        min_score=40,
        actor=Actor("tester"),
    )
    assert [(c.kind, c.old, c.new) for c in changes] == [("partnership", None, "analysis")]
    with pipeline_store.reading() as tx:
        (created,) = [p for p in tx.find(Partnership) if p.member_id == "p1"]
        trail = tx.audit_trail(created.id)
    assert created.stage is PartnerStage.ANALYSIS
    assert created.target_profile_id == "tp-1"
    assert created.owner_id == "e1"  # the employee who knows the candidate
    assert trail[0].actor == "tester"
    assert "score" in trail[0].reason and "industry 'bank' is wanted" in trail[0].reason
    # p2 is on the pipeline already, c1 and p3 score below 40: a rerun adds nothing.
    assert (
        add_candidates(
            pipeline_store, "tp-1", IntelligenceConfig(), count=5, min_score=40, actor=Actor("t")
        )
        == []
    )


def test_candidates_can_enter_at_profile_through_the_pipeline_rules(
    pipeline_store: Store,
) -> None:
    config = IntelligenceConfig(candidate_stage=PartnerStage.PROFILE)
    changes = add_candidates(
        pipeline_store, "tp-1", config, count=1, min_score=0, actor=Actor("tester")
    )
    assert [(c.old, c.new) for c in changes] == [(None, "analysis"), ("analysis", "profile")]
    with pipeline_store.reading() as tx:
        assert tx.get(Partnership, changes[0].record_id).stage is PartnerStage.PROFILE
        assert len(tx.audit_trail(changes[0].record_id)) == 2


def test_the_entry_stage_must_be_analysis_or_profile() -> None:
    with pytest.raises(ValueError, match="'analysis' or 'profile'"):
        IntelligenceConfig(candidate_stage=PartnerStage.CONTACT)


def test_the_top_candidates_are_the_full_rankings_first_rows_with_the_same_scores(
    store: Store,
) -> None:
    # The report ranks on plain columns and explains only the rows it shows: the cut must be
    # exactly the full ranking's head, ties (equal score and reach) broken by id.
    profiles = [
        {"industry": "Bank", "region": "Stuttgart", "offers": ["events"]},
        {"industry": "bank", "region": "Esslingen", "offers": ["Venues", "events"]},
        {"industry": None, "region": "stuttgart", "offers": []},
        {"industry": "Chamber", "region": None, "offers": ["introductions", "loans"]},
        {"industry": "bakery", "region": "Hamburg", "offers": ["bread"]},
    ]
    members = [_candidate(f"p{n:02d}", **profiles[n % len(profiles)]) for n in range(25)]
    # Even members know the next one or two: reaches of 0 to 3, with ties.
    connections = [
        Connection(id=f"k{n}-{step}", from_id=f"p{n:02d}", to_id=f"p{n + step:02d}", strength=3)
        for n in range(0, 24, 2)
        for step in ((1, 2) if n % 4 else (1,))
    ]
    with store.transaction() as tx:
        tx.put_many([*members, *connections, TARGET])
    config = IntelligenceConfig()
    _, everyone = rank_candidates(store, "tp-1", config)
    _, top = rank_candidates(store, "tp-1", config, top=7)
    assert len(everyone) == 25
    assert [(c.member_id, c.match) for c in top] == [(c.member_id, c.match) for c in everyone[:7]]
    by_id = {m.id: m for m in members}
    for candidate in everyone:
        expected = score_candidate(by_id[candidate.member_id], candidate.reach, TARGET, WEIGHTS)
        assert candidate.match == expected
    keys = [(-c.match.score, -c.reach, c.member_id) for c in everyone]
    assert keys == sorted(keys)
    assert len({c.match.score for c in everyone}) < 25  # ties occur and are ordered
