"""Club matchmaking (moderation): suggest introductions between members who fit.

The article's third precondition: keep connecting the club's members with each other. A
pair of active members ``a``, ``b`` (membership ``member`` or ``trial``) *matches* when one's
needs meet the other's offers:

* ``a_gets = needs(a) ∩ offers(b)``, ``b_gets = needs(b) ∩ offers(a)`` (tags compared
  case-insensitively), at least one of them non-empty;
* ``shared = goals(a) ∩ goals(b)``;
* ``score = |a_gets| + |b_gets| + γ · |shared|`` with ``γ =``
  :attr:`MatchmakingConfig.goal_weight`. A mutual fit scores higher than a one-way one.

Candidate pairs come from an **inverted index** from tag to the members offering it and to
the members needing it: member ``i`` is compared only with the members that offer one of
its needs or need one of its offers, and only with those after it in id order, so every
pair is compared at most once. The work grows with ``Σ_tag needers(tag) · offerers(tag)``,
the pairs that can match, not with all ``n(n−1)/2`` pairs. ``indexed=False`` compares all
pairs instead: the baseline the benchmark measures against; both find the same matches.

Pairs already introduced (an :class:`~connector.model.Introduction` in any state, including
dismissed) are never suggested again.

**Balancing** (round-robin): every member keeps its
:attr:`MatchmakingConfig.options_kept` best-scoring partners (ties by partner id), so memory
stays bounded however many pairs match. In round ``r = 1 … k`` (``k = per_member``) every
member with fewer than ``r`` suggestions takes its best partner that also has fewer than
``r`` and is not yet paired with it. Members with the fewest options go first in each round,
so a member with one possible partner is not crowded out by one with fifty. Nobody gets more
than ``k`` suggestions, and a popular member cannot take all the suggestions of a round.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from connector.i18n import gettext as _

__all__ = [
    "ClubMember",
    "MatchStats",
    "PairMatch",
    "Suggestion",
    "find_matches",
    "suggest",
]


@dataclass(frozen=True)
class ClubMember:
    member_id: str
    name: str
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    goals: tuple[str, ...]


@dataclass(frozen=True)
class PairMatch:
    """A matching pair, ``a`` the member with the smaller id."""

    a: str
    b: str
    a_gets: tuple[str, ...]  # a's needs that b offers
    b_gets: tuple[str, ...]  # b's needs that a offers
    shared_goals: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class Suggestion:
    round: int
    match: PairMatch
    reason: str


@dataclass(frozen=True)
class MatchStats:
    """What one matchmaking run did; ``pairs_compared`` against ``all_pairs`` is the index's
    saving."""

    members: int
    pairs_compared: int
    all_pairs: int
    matching_pairs: int
    already_introduced: int
    suggestions: int


def _keys(tags: Iterable[str]) -> frozenset[str]:
    return frozenset(t.casefold() for t in tags)


class _Profiles:
    """Case-folded tag sets per member (in id order), so a pair is three set intersections."""

    def __init__(self, members: Sequence[ClubMember]) -> None:
        self.members = sorted(members, key=lambda m: m.member_id)
        self.index = {m.member_id: i for i, m in enumerate(self.members)}
        self.offers = [_keys(m.offers) for m in self.members]
        self.needs = [_keys(m.needs) for m in self.members]
        self.goals = [_keys(m.goals) for m in self.members]

    def score(self, i: int, j: int, goal_weight: float) -> float | None:
        """The pair's score, ``None`` when neither needs what the other offers."""
        gets = len(self.needs[i] & self.offers[j]) + len(self.needs[j] & self.offers[i])
        if not gets:
            return None
        return gets + goal_weight * len(self.goals[i] & self.goals[j])

    def explain(self, i: int, j: int, goal_weight: float) -> PairMatch:
        a, b = self.members[i], self.members[j]
        a_keys, b_keys = self.needs[i] & self.offers[j], self.needs[j] & self.offers[i]
        shared_keys = self.goals[i] & self.goals[j]
        # Keep the member's own spelling of each tag for the explanation.
        a_gets = tuple(t for t in a.needs if t.casefold() in a_keys)
        b_gets = tuple(t for t in b.needs if t.casefold() in b_keys)
        shared = tuple(t for t in a.goals if t.casefold() in shared_keys)
        score = len(a_gets) + len(b_gets) + goal_weight * len(shared)
        return PairMatch(a.member_id, b.member_id, a_gets, b_gets, shared, score)

    def indexed_pairs(self) -> Iterator[tuple[int, int]]:
        """Pairs ``i < j`` where one offers something the other needs, each once."""
        offered_by: dict[str, list[int]] = {}
        needed_by: dict[str, list[int]] = {}
        for i in range(len(self.members)):
            for tag in self.offers[i]:
                offered_by.setdefault(tag, []).append(i)
            for tag in self.needs[i]:
                needed_by.setdefault(tag, []).append(i)
        for i in range(len(self.members)):
            partners: set[int] = set()
            for tag in self.needs[i]:
                partners.update(offered_by.get(tag, ()))
            for tag in self.offers[i]:
                partners.update(needed_by.get(tag, ()))
            for j in sorted(partners):
                if j > i:
                    yield i, j

    def pairs(self, *, indexed: bool) -> Iterator[tuple[int, int]]:
        if indexed:
            return self.indexed_pairs()
        return combinations(range(len(self.members)), 2)


def find_matches(
    members: Sequence[ClubMember], goal_weight: float, *, indexed: bool = True
) -> list[PairMatch]:
    """Every matching pair, explained, in id order (for small clubs and for tests)."""
    profiles = _Profiles(members)
    return [
        profiles.explain(i, j, goal_weight)
        for i, j in profiles.pairs(indexed=indexed)
        if profiles.score(i, j, goal_weight) is not None
    ]


def _reason(match: PairMatch, names: dict[str, str]) -> str:
    a, b = names[match.a], names[match.b]
    parts = []
    if match.a_gets:
        parts.append(
            _("{a} needs {needs}, which {b} offers").format(a=a, b=b, needs=", ".join(match.a_gets))
        )
    if match.b_gets:
        parts.append(
            _("{a} needs {needs}, which {b} offers").format(a=b, b=a, needs=", ".join(match.b_gets))
        )
    if match.shared_goals:
        parts.append(_("both want to {goals}").format(goals=", ".join(match.shared_goals)))
    return "; ".join(parts)


class _Options:
    """Each member's best partners, at most ``keep`` of them (a bounded min-heap each)."""

    def __init__(self, size: int, keep: int) -> None:
        self.keep = keep
        # Heap entries (score, −partner): the root is the worst option, lowest score first
        # and, among equal scores, the partner with the larger id.
        self.heaps: list[list[tuple[float, int]]] = [[] for _ in range(size)]

    def offer(self, i: int, j: int, score: float) -> None:
        for own, partner in ((i, j), (j, i)):
            heap = self.heaps[own]
            entry = (score, -partner)
            if len(heap) < self.keep:
                heapq.heappush(heap, entry)
            elif entry > heap[0]:
                heapq.heapreplace(heap, entry)

    def ranked(self, i: int) -> list[int]:
        """Partners of ``i``, best first (highest score, then smallest id)."""
        return [-negated for _, negated in sorted(self.heaps[i], key=lambda e: (-e[0], -e[1]))]


def _balanced_pairs(options: _Options, per_member: int) -> list[tuple[int, int, int]]:
    """``(round, i, j)`` for the chosen pairs; see the module docstring for the rounds."""
    ranked = {i: options.ranked(i) for i, heap in enumerate(options.heaps) if heap}
    count = dict.fromkeys(ranked, 0)
    paired: set[tuple[int, int]] = set()
    chosen: list[tuple[int, int, int]] = []
    for round_ in range(1, per_member + 1):
        for member in sorted(ranked, key=lambda m: (count[m], len(ranked[m]), m)):
            if count[member] >= round_:
                continue
            for partner in ranked[member]:
                pair = (min(member, partner), max(member, partner))
                if count[partner] < round_ and pair not in paired:
                    paired.add(pair)
                    count[member] += 1
                    count[partner] += 1
                    chosen.append((round_, *pair))
                    break
    return chosen


def suggest(
    members: Sequence[ClubMember],
    introduced: set[frozenset[str]],
    *,
    per_member: int,
    goal_weight: float,
    options_kept: int,
    indexed: bool = True,
) -> tuple[list[Suggestion], MatchStats]:
    """Balanced, explained suggestions for one club (see the module docstring)."""
    profiles = _Profiles(members)
    n = len(profiles.members)
    options = _Options(n, options_kept)
    index = profiles.index
    # Introduced pairs as vertex pairs (i < j), so the loop below builds no id sets.
    done = {
        (min(index[a], index[b]), max(index[a], index[b]))
        for a, b in (tuple(pair) for pair in introduced if len(pair) == 2)
        if a in index and b in index
    }
    compared = matching = already = 0
    for i, j in profiles.pairs(indexed=indexed):
        compared += 1
        score = profiles.score(i, j, goal_weight)
        if score is None:
            continue
        matching += 1
        if (i, j) in done:
            already += 1
            continue
        options.offer(i, j, score)
    names = {m.member_id: m.name for m in profiles.members}
    suggestions = []
    for round_, i, j in _balanced_pairs(options, per_member):
        match = profiles.explain(i, j, goal_weight)
        suggestions.append(Suggestion(round_, match, _reason(match, names)))
    stats = MatchStats(
        members=n,
        pairs_compared=compared,
        all_pairs=n * (n - 1) // 2,
        matching_pairs=matching,
        already_introduced=already,
        suggestions=len(suggestions),
    )
    return suggestions, stats
