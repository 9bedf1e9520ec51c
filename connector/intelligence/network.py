"""Employee network analysis (step 1): reach, overlap, and contacts nobody has activated.

Definitions, for an employee ``E`` with neighbours ``N(E)`` in the ``ties`` graph:

* **contacts** ``C(E) = N(E) \\ employees`` — colleagues are not contacts.
* **direct reach** ``|C(E)|``; **strong** the contacts with strength ≥
  :attr:`PathConfig.strong_tie`.
* **unique** contacts: those in ``C(E)`` and in no other employee's contacts — the network
  the company loses if ``E`` leaves.
* **warm second degree**: members a contact of ``E`` is willing to introduce (an arc
  ``X → Y`` in ``willing`` with ``X ∈ C(E)``), not counting ``E``, ``N(E)`` and employees:
  the network ``E`` opens up through their own contacts, not through colleagues.
* **unactivated** contacts: contacts with no referral (given, received, or being the
  referred party) and no introduction, in any state.

For the company: **direct reach** ``|∪_E C(E)|``; **warm reach by hops** the members at
1, 2, … ``max_hops`` hops on the fewest-hop warm path from any employee (see
:mod:`connector.intelligence.paths`); **overlap** per pair of employees: shared contacts
``|C(E1) ∩ C(E2)|`` and the Jaccard index ``shared / |C(E1) ∪ C(E2)|``. Pairs are counted from
each contact's list of employees (an inverted index), never by comparing all pairs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from math import isinf

from sqlalchemy import select

from connector.intelligence.config import PathConfig
from connector.intelligence.graph import NetworkGraph
from connector.intelligence.paths import IntroRouter
from connector.store import Tx
from connector.store import schema as tables

__all__ = [
    "CompanyReach",
    "EmployeeReach",
    "NetworkAnalysis",
    "Overlap",
    "Unactivated",
    "activated_members",
    "analyse_network",
]


@dataclass(frozen=True)
class EmployeeReach:
    member_id: str
    name: str
    direct: int
    strong: int
    unique: int
    warm_second_degree: int
    unactivated: int


@dataclass(frozen=True)
class Overlap:
    a: str
    b: str
    shared: int
    jaccard: float


@dataclass(frozen=True)
class Unactivated:
    member_id: str
    name: str
    circle: str
    best_strength: int
    known_by: str  # the employee with the strongest tie (the smallest id among equals)
    reach: int


@dataclass(frozen=True)
class CompanyReach:
    employees: int
    direct: int
    warm_by_hops: dict[int, int]
    unreached: int
    unactivated: int


@dataclass(frozen=True)
class NetworkAnalysis:
    company: CompanyReach
    employees: list[EmployeeReach]  # widest direct reach first
    overlaps: list[Overlap]  # most shared contacts first
    unactivated: list[Unactivated]  # strongest tie first, then widest reach


def activated_members(tx: Tx) -> set[str]:
    """Members named in any referral (any role) or introduction (either side)."""
    r, i = tables.referrals, tables.introductions
    active: set[str] = set()
    referral_rows = tx.connection.execute(
        select(r.c.referrer_id, r.c.referred_id, r.c.recipient_id)
    )
    for parties in referral_rows:
        active.update(v for v in parties if v is not None)
    for pair in tx.connection.execute(select(i.c.member_a_id, i.c.member_b_id)):
        active.update(pair)
    return active


def analyse_network(
    graph: NetworkGraph,
    router: IntroRouter,
    activated: set[str],
    config: PathConfig,
    *,
    top: int = 10,
) -> NetworkAnalysis:
    """Step 1 for every employee and for the company; lists are cut to ``top`` rows."""
    employees = router.employees
    employee_set = set(employees)
    active = {graph.index[m] for m in activated if m in graph.index}
    # Only the employees' ties are read, not the whole network's adjacency: at a million
    # connections that keeps memory to the part step 1 is about.
    ties = {e: graph.ties_of(e) for e in employees}
    known_by: dict[int, list[int]] = {}
    best: dict[int, tuple[int, str]] = {}  # contact → (−strength, employee id) of the best tie
    for e in employees:
        for x, strength in ties[e]:
            if x in employee_set:
                continue
            known_by.setdefault(x, []).append(e)
            key = (-strength, graph.ids[e])
            best[x] = min(best.get(x, key), key)

    reaches: list[EmployeeReach] = []
    for e in employees:
        contacts = [(x, strength) for x, strength in ties[e] if x not in employee_set]
        neighbourhood = {e, *(x for x, _ in ties[e])}
        second = {y for x, _ in contacts for y in graph.willing_successors(x)}
        second -= neighbourhood | employee_set
        reaches.append(
            EmployeeReach(
                graph.ids[e],
                graph.names[e],
                direct=len(contacts),
                strong=sum(strength >= config.strong_tie for _, strength in contacts),
                unique=sum(len(known_by[x]) == 1 for x, _ in contacts),
                warm_second_degree=len(second),
                unactivated=sum(x not in active for x, _ in contacts),
            )
        )
    reaches.sort(key=lambda r: (-r.direct, r.member_id))

    shared: Counter[tuple[int, int]] = Counter()
    for knowers in known_by.values():
        shared.update(combinations(sorted(knowers), 2))
    sizes = {e: sum(x not in employee_set for x, _ in ties[e]) for e in employees}
    overlaps = sorted(
        (
            Overlap(graph.ids[a], graph.ids[b], count, count / (sizes[a] + sizes[b] - count))
            for (a, b), count in shared.items()
        ),
        key=lambda o: (-o.shared, -o.jaccard, o.a, o.b),
    )

    dormant = [x for x in known_by if x not in active]
    degrees = graph.degrees()
    unactivated = sorted(
        (
            Unactivated(
                graph.ids[x],
                graph.names[x],
                graph.circles[x].value,
                -best[x][0],
                best[x][1],
                degrees[x],
            )
            for x in dormant
        ),
        key=lambda u: (-u.best_strength, -u.reach, u.member_id),
    )

    hops = router.company_hops()
    by_hops = Counter(int(h) for i, h in enumerate(hops) if i not in employee_set and not isinf(h))
    warm = {k: by_hops.get(k, 0) for k in range(1, config.max_hops + 1)}
    others = graph.size - len(employees)
    company = CompanyReach(
        employees=len(employees),
        direct=len(known_by),
        warm_by_hops=warm,
        unreached=others - sum(warm.values()),
        unactivated=len(dormant),
    )
    return NetworkAnalysis(company, reaches[:top], overlaps[:top], unactivated[:top])
