"""Warm-introduction paths: who can introduce whom, and how warm the chain is.

A *warm path* from a source member ``s`` to a target ``t`` is a sequence of members
``s = v0, v1, …, vk = t`` where

* the first hop ``v0 — v1`` is any connection of ``s`` (``s`` knows ``v1``; no one has to
  introduce anyone), and
* every later hop ``vi → vi+1`` (``i ≥ 1``) is a connection ``vi → vi+1`` marked
  ``willing_to_introduce``: ``vi`` is asked to introduce ``vi+1``, and said it would. An
  employee is never asked a favour by a colleague, so an employee's own connections count
  as willing when the employee sits in the middle of a path.

**Hop trust** ``τ(s)`` is the chance that a hop of strength ``s`` passes an introduction on,
from :attr:`PathConfig.hop_trust` (default 1 → 0.2, 2 → 0.4, 3 → 0.6, 4 → 0.75, 5 → 0.9).

**Path quality** ``q = ∏ τ(s_i)`` over the hops, in (0, 1]: the chance the whole chain holds
if each hop holds independently. Longer chains lose quality even through close ties, which
is why trust stays below 1. The report also shows the *weakest hop* (the lowest strength),
the link most likely to break.

**Which path**: the *fewest hops* first (each intermediary is one more favour to ask), and
among those the highest quality. Both are found by one Dijkstra run on the arc cost
``B + (−ln τ(s))``, where the constant ``B`` exceeds any possible sum of ``−ln τ`` over a path
up to ``max_hops``, so a path with fewer hops always costs less. A path longer than
``max_hops`` is not offered.

The *company* reaches a target through whichever employee has the best path: a virtual
company vertex with a free arc to every employee is the Dijkstra source.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import igraph

from connector.errors import InputError
from connector.i18n import gettext as _
from connector.intelligence.config import PathConfig
from connector.intelligence.graph import NetworkGraph
from connector.model import Circle
from connector.report_format import fixed

__all__ = ["Hop", "IntroRouter", "WarmPath", "path_quality"]


@dataclass(frozen=True)
class Hop:
    from_id: str
    to_id: str
    strength: int
    trust: float


@dataclass(frozen=True)
class WarmPath:
    """A warm path with its quality ``∏ trust`` and its weakest hop (lowest strength)."""

    source_id: str
    target_id: str
    hops: tuple[Hop, ...]
    quality: float
    weakest: int

    @classmethod
    def of(cls, hops: Sequence[Hop]) -> WarmPath:
        if not hops:
            raise ValueError("a warm path needs at least one hop")
        return cls(
            hops[0].from_id,
            hops[-1].to_id,
            tuple(hops),
            path_quality(h.trust for h in hops),
            min(h.strength for h in hops),
        )

    @property
    def members(self) -> list[str]:
        return [self.source_id, *(h.to_id for h in self.hops)]

    def describe(self, names: Mapping[str, str]) -> str:
        """``Anna →(4) Bank AG →(5) Target (quality 0.68)``: each hop with its strength."""
        text = names.get(self.source_id, self.source_id)
        for hop in self.hops:
            text += f" →({hop.strength}) {names.get(hop.to_id, hop.to_id)}"
        return _("{path} (quality {quality})").format(path=text, quality=fixed(self.quality, 2))


def path_quality(trusts: Iterable[float]) -> float:
    """``∏ τ_i``: the chance every hop passes the introduction on."""
    return math.prod(trusts)


class IntroRouter:
    """Best warm paths over one :class:`NetworkGraph`, from the company or from one member.

    The routing graph is built once: ``willing`` arcs, every employee's connections as arcs
    out of that employee, and a company vertex (index ``n``) with a zero-cost arc to every
    employee.
    """

    def __init__(self, graph: NetworkGraph, config: PathConfig) -> None:
        self.graph = graph
        self.config = config
        self.company = graph.size
        cost = {s: -math.log(t) for s, t in config.hop_trust.items()}
        # B > max_hops · max(−ln τ): fewer hops always win, then quality decides.
        self._hop_base = config.max_hops * max(cost.values()) + 1.0
        self._cost = cost
        self.employees = graph.of_circle(Circle.EMPLOYEE)
        arcs: list[tuple[int, int]] = [(int(a), int(b)) for a, b in graph.willing.get_edgelist()]
        strengths: list[int] = list(graph.willing.es["strength"]) if arcs else []
        for employee in self.employees:
            for contact, strength in graph.ties_of(employee):
                arcs.append((employee, contact))
                strengths.append(strength)
        hop_costs = [self._hop_base + cost[s] for s in strengths]
        arcs += [(self.company, e) for e in self.employees]
        strengths += [0] * len(self.employees)
        hop_costs += [0.0] * len(self.employees)
        routing: Any = igraph.Graph(
            n=graph.size + 1,
            edges=arcs,
            directed=True,
            edge_attrs={"strength": strengths, "cost": hop_costs},
        )
        # The strongest parallel arc is also the cheapest, so "max" and "min" keep one arc.
        routing.simplify(
            multiple=True, loops=True, combine_edges={"strength": "max", "cost": "min"}
        )
        self.routing = routing

    def _paths(self, source: int, targets: Sequence[int]) -> list[WarmPath | None]:
        if not targets:
            return []
        with warnings.catch_warnings():
            # igraph warns about every unreachable target; "no warm path" is a normal answer.
            warnings.simplefilter("ignore", RuntimeWarning)
            found = self.routing.get_shortest_paths(
                source, to=list(targets), weights="cost", mode="out", output="vpath"
            )
        ids, routing = self.graph.ids, self.routing
        paths: list[WarmPath | None] = []
        for vertices in found:
            steps = [v for v in vertices if v != self.company]
            if len(steps) < 2 or len(steps) - 1 > self.config.max_hops:
                paths.append(None)
                continue
            hops = []
            for a, b in itertools.pairwise(steps):
                strength = int(routing.es[routing.get_eid(a, b)]["strength"])
                hops.append(Hop(ids[a], ids[b], strength, self.config.hop_trust[strength]))
            paths.append(WarmPath.of(hops))
        return paths

    def from_company(self, target_ids: Sequence[str]) -> dict[str, WarmPath | None]:
        """The best path from any employee to each target (``None``: no warm path, or the
        target is an employee itself)."""
        targets = self.graph.vertices(target_ids)
        return dict(zip(target_ids, self._paths(self.company, targets), strict=True))

    def from_employee(self, employee_id: str, target_id: str) -> WarmPath | None:
        """The best path from one employee to a target.

        Only employees: the routing graph holds every connection of an employee as an arc,
        but only the willing ones of anybody else, so a path from a customer would wrongly
        need its first hop to be willing too.
        """
        source, target = self.graph.vertices([employee_id, target_id])
        if self.graph.circles[source] is not Circle.EMPLOYEE:
            raise InputError(f"member '{employee_id}' is not an employee")
        if source == target:
            return None
        return self._paths(source, [target])[0]

    def company_hops(self) -> list[float]:
        """Fewest hops from the company to every member (``inf`` when unreachable).

        Employees are at 0, their contacts at 1, members they can be introduced to at 2, ...
        """
        distances = self.routing.distances(source=[self.company], mode="out")[0]
        return [float(d) - 1 for d in distances[: self.graph.size]]
