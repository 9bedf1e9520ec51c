"""Club matchmaking: matches explained, found through the index, balanced, applied."""

from __future__ import annotations

import random
from datetime import date

import pytest

from connector.errors import InputError, NotFoundError
from connector.intelligence import ClubMember, IntelligenceConfig, suggest
from connector.intelligence.matchmaking import find_matches
from connector.intelligence.service import apply_suggestions, club_suggestions
from connector.model import (
    Introduction,
    IntroductionStatus,
    MembershipStatus,
    Profile,
)
from connector.services import Actor
from connector.store import Store
from tests.connector import factories


def club_member(
    member_id: str,
    offers: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    goals: tuple[str, ...] = (),
) -> ClubMember:
    return ClubMember(member_id, member_id.upper(), offers, needs, goals)


def test_a_match_is_needs_met_by_offers_plus_shared_goals_explained() -> None:
    members = [
        club_member("a", offers=("CNC machining",), needs=("Coating", "sensors"), goals=("grow",)),
        club_member("b", offers=("coating",), needs=("cnc machining",), goals=("Grow", "hire")),
        club_member("c", offers=("bakery",), goals=("grow",)),  # shares a goal, fits nobody
    ]
    (match,) = find_matches(members, goal_weight=0.5)
    assert (match.a, match.b) == ("a", "b")
    assert match.a_gets == ("Coating",)
    assert match.b_gets == ("cnc machining",)
    assert match.shared_goals == ("grow",)
    assert match.score == 2.5  # one tag each way plus half a point for the shared goal
    suggestions, _ = suggest(members, set(), per_member=1, goal_weight=0.5, options_kept=5)
    assert suggestions[0].reason == (
        "A needs Coating, which B offers; B needs cnc machining, which A offers; both want to grow"
    )


def _random_club(size: int, seed: int) -> list[ClubMember]:
    rng = random.Random(seed)
    tags = [f"tag{i}" for i in range(40)]
    goals = [f"goal{i}" for i in range(6)]
    return [
        club_member(
            f"m{i:03d}",
            offers=tuple(rng.sample(tags, rng.randint(0, 3))),
            needs=tuple(rng.sample(tags, rng.randint(0, 2))),
            goals=tuple(rng.sample(goals, rng.randint(0, 2))),
        )
        for i in range(size)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_finds_exactly_the_matches_all_pairs_find_comparing_fewer(seed: int) -> None:
    members = _random_club(120, seed)
    assert find_matches(members, 0.5) == find_matches(members, 0.5, indexed=False)
    indexed = suggest(members, set(), per_member=2, goal_weight=0.5, options_kept=20)
    baseline = suggest(
        members, set(), per_member=2, goal_weight=0.5, options_kept=20, indexed=False
    )
    assert indexed[0] == baseline[0]
    assert indexed[1].pairs_compared == indexed[1].matching_pairs  # the index yields only fits
    assert indexed[1].pairs_compared < baseline[1].pairs_compared == 120 * 119 // 2


def test_pairs_already_introduced_are_never_suggested() -> None:
    members = [
        club_member("a", offers=("x",)),
        club_member("b", needs=("x",)),
        club_member("c", needs=("x",)),
    ]
    suggestions, stats = suggest(
        members, {frozenset(("a", "b"))}, per_member=2, goal_weight=0.5, options_kept=5
    )
    assert [(s.match.a, s.match.b) for s in suggestions] == [("a", "c")]
    assert stats.already_introduced == 1


def test_suggestions_are_balanced_so_a_popular_member_cannot_take_them_all() -> None:
    # Everyone needs what the hub offers; s1 and s2 also fit each other, s3 fits only the hub.
    members = [
        club_member("hub", offers=("x",)),
        club_member("s1", offers=("y",), needs=("x", "y")),
        club_member("s2", offers=("y",), needs=("x", "y")),
        club_member("s3", needs=("x",)),
        club_member("s4", needs=("x",)),
    ]
    suggestions, stats = suggest(members, set(), per_member=1, goal_weight=0.5, options_kept=5)
    pairs = {(s.match.a, s.match.b) for s in suggestions}
    # Round 1: the members with one option (s3, s4: only the hub) go first; s3 takes the hub,
    # s4 finds the hub full; s1 and s2 pair with each other.
    assert pairs == {("hub", "s3"), ("s1", "s2")}
    counts: dict[str, int] = {}
    for a, b in pairs:
        counts[a] = counts.get(a, 0) + 1
        counts[b] = counts.get(b, 0) + 1
    assert max(counts.values()) == 1
    two, _ = suggest(members, set(), per_member=2, goal_weight=0.5, options_kept=5)
    assert {(s.match.a, s.match.b) for s in two if s.round == 2} == {("hub", "s4")}
    assert stats.suggestions == 2 and stats.matching_pairs == 5


@pytest.fixture
def club_store(store: Store) -> Store:
    profiles = {
        "c1": Profile(offers=["coating"], needs=["sensors"], goals=["grow abroad"]),
        "c2": Profile(offers=["sensors"], needs=["coating"], goals=["grow abroad"]),
        "c3": Profile(offers=["sensors"]),
        "c4": Profile(needs=["sensors"]),  # invited only: not active yet
    }
    with store.transaction() as tx:
        tx.put_many(factories.member(i, profile=p) for i, p in profiles.items())
        tx.put(factories.club())
        for i, status in [("c1", "member"), ("c2", "trial"), ("c3", "member"), ("c4", "invited")]:
            tx.put(
                factories.membership(
                    id=f"ms-{i}",
                    member_id=i,
                    status=MembershipStatus(status),
                    trial_started_on=date(2025, 3, 1),
                    trial_ends_on=date(2026, 3, 1),
                )
            )
    return store


def test_club_suggestions_become_introductions_in_suggested_once(club_store: Store) -> None:
    config = IntelligenceConfig()
    found = club_suggestions(club_store, None, config)  # the only club
    assert found.stats.members == 3
    assert [(s.match.a, s.match.b) for s in found.suggestions] == [("c1", "c2"), ("c1", "c3")]
    written = apply_suggestions(club_store, found, actor=Actor("moderator"))
    assert [(i.member_a_id, i.member_b_id, i.status) for i in written] == [
        ("c1", "c2", IntroductionStatus.SUGGESTED),
        ("c1", "c3", IntroductionStatus.SUGGESTED),
    ]
    assert written[0].reason == (
        "Member c1 needs sensors, which Member c2 offers; Member c2 needs coating, which "
        "Member c1 offers; both want to grow abroad"
    )
    with club_store.reading() as tx:
        assert tx.count(Introduction) == 2
        (entry,) = tx.audit_trail(written[0].id)
    assert (entry.actor, entry.old_value, entry.new_value) == ("moderator", None, "suggested")
    # Applying the same suggestions again writes nothing; a new run finds nothing new.
    assert apply_suggestions(club_store, found, actor=Actor("moderator")) == []
    assert club_suggestions(club_store, "club-1", config).suggestions == []


def test_naming_a_club_that_does_not_exist_or_none_among_many_is_an_error(
    club_store: Store,
) -> None:
    with pytest.raises(NotFoundError):
        club_suggestions(club_store, "club-9", IntelligenceConfig())
    with club_store.transaction() as tx:
        tx.put(factories.club(id="club-2"))
    with pytest.raises(InputError, match="name a club with --club; clubs: club-1, club-2"):
        club_suggestions(club_store, None, IntelligenceConfig())
