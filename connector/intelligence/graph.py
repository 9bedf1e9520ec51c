"""The connection graph every network measure reads (step 1: every employee's network).

Vertices are members, numbered in id order. Two igraph graphs are kept, both built once:

* ``ties`` — undirected and simple: one edge per pair of members with at least one
  :class:`~connector.model.Connection` between them in either direction; its ``strength`` is
  the strongest of those connections. Reach, overlap and betweenness are read from it.
* ``willing`` — directed: an arc ``u → v`` for every connection ``u → v`` marked
  ``willing_to_introduce`` (``u`` is willing to introduce ``v`` to others), ``strength`` the
  strongest such connection. Warm-introduction paths may only continue along these arcs.

igraph (C core) rather than networkx: the benchmark network has a million connections, where
networkx's pure-Python graphs need minutes and gigabytes for what igraph does in seconds.
igraph is untyped, so its graphs are ``Any`` wherever they are built: here, the routing graph
in :mod:`connector.intelligence.paths`, and the picture's layout in ``connector.report_html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import igraph
from sqlalchemy import select

from connector.errors import InputError
from connector.model import Circle, Connection, Member
from connector.store import Tx
from connector.store import schema as tables

__all__ = ["ConnectionRow", "MemberRow", "NetworkGraph"]

_FETCH_ROWS = 50_000  # rows per database round trip when streaming a large network


class MemberRow(NamedTuple):
    id: str
    name: str
    circle: Circle


class ConnectionRow(NamedTuple):
    from_id: str
    to_id: str
    strength: int
    willing: bool


def _simple(graph: Any) -> Any:
    # Duplicate connections of one pair keep the strongest; a loop cannot occur (the model
    # forbids it) but simplify would drop one anyway.
    graph.simplify(multiple=True, loops=True, combine_edges={"strength": "max"})
    return graph


@dataclass(frozen=True)
class _Edges:
    pairs: list[tuple[int, int]]
    strengths: list[int]


class NetworkGraph:
    """Members and their connections as graphs; see the module docstring for the two views."""

    def __init__(self, members: Iterable[MemberRow], connections: Iterable[ConnectionRow]) -> None:
        rows = sorted(members, key=lambda m: m.id)
        self.ids: list[str] = [m.id for m in rows]
        self.names: list[str] = [m.name for m in rows]
        self.circles: list[Circle] = [m.circle for m in rows]
        self.index: dict[str, int] = {member_id: i for i, member_id in enumerate(self.ids)}
        n = len(self.ids)
        self.out_total: list[int] = [0] * n
        self.out_willing: list[int] = [0] * n
        ties = _Edges([], [])
        willing = _Edges([], [])
        index = self.index
        for row in connections:
            try:
                a, b = index[row.from_id], index[row.to_id]
            except KeyError as exc:
                raise InputError(f"a connection names unknown member '{exc.args[0]}'") from None
            ties.pairs.append((a, b))
            ties.strengths.append(row.strength)
            self.out_total[a] += 1
            if row.willing:
                self.out_willing[a] += 1
                willing.pairs.append((a, b))
                willing.strengths.append(row.strength)
        self.ties: Any = _simple(
            igraph.Graph(n=n, edges=ties.pairs, edge_attrs={"strength": ties.strengths})
        )
        # One list of every tie's strength, indexed by edge id: reading it is far cheaper
        # than asking igraph for one edge attribute at a time.
        self._tie_strength: list[int] = list(self.ties.es["strength"]) if self.ties.ecount() else []
        self.willing: Any = _simple(
            igraph.Graph(
                n=n,
                edges=willing.pairs,
                directed=True,
                edge_attrs={"strength": willing.strengths},
            )
        )

    @classmethod
    def from_records(
        cls, members: Iterable[Member], connections: Iterable[Connection]
    ) -> NetworkGraph:
        return cls(
            (MemberRow(m.id, m.name, m.circle) for m in members),
            (
                ConnectionRow(c.from_id, c.to_id, c.strength, c.willing_to_introduce)
                for c in connections
            ),
        )

    @classmethod
    def load(cls, tx: Tx) -> NetworkGraph:
        """The whole network from the store.

        Reads plain columns with SQLAlchemy Core instead of validating a million pydantic
        records: the analysis needs four columns of each connection and is read-only.
        """
        member_table, connection_table = tables.members, tables.connections
        members = tx.connection.execute(
            select(member_table.c.id, member_table.c.name, member_table.c.circle)
        )
        member_rows = [MemberRow(i, name, Circle(circle)) for i, name, circle in members]
        # Streamed by a statement option: on the connection it would stay set for every
        # later statement of the transaction (PostgreSQL cannot run an INSERT as a cursor).
        result = tx.connection.execute(
            select(
                connection_table.c.from_id,
                connection_table.c.to_id,
                connection_table.c.strength,
                connection_table.c.willing_to_introduce,
            ).execution_options(yield_per=_FETCH_ROWS)
        )
        return cls(member_rows, (ConnectionRow(*row) for row in result))

    @property
    def size(self) -> int:
        return len(self.ids)

    def ties_of(self, vertex: int) -> list[tuple[int, int]]:
        """``(neighbour, strength)`` for every member ``vertex`` is tied to, by neighbour."""
        neighbours = self.ties.neighbors(vertex)
        if not neighbours:
            return []
        edges = self.ties.get_eids([(vertex, x) for x in neighbours])
        return [(int(x), self._tie_strength[e]) for x, e in zip(neighbours, edges, strict=True)]

    def willing_successors(self, vertex: int) -> list[int]:
        """Members ``vertex`` is willing to introduce to others."""
        return [int(v) for v in self.willing.successors(vertex)]

    def degrees(self) -> list[int]:
        """Distinct members each member is connected to: its reach."""
        return [int(d) for d in self.ties.degree()]

    def strength(self, a: int, b: int) -> int:
        """The strongest connection between ``a`` and ``b`` (0 when they are not connected)."""
        edge = self.ties.get_eid(a, b, error=False)
        return 0 if edge < 0 else self._tie_strength[edge]

    def edge_list(self) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in self.ties.get_edgelist()]

    def of_circle(self, circle: Circle) -> list[int]:
        return [i for i, c in enumerate(self.circles) if c is circle]

    def vertices(self, member_ids: Sequence[str]) -> list[int]:
        """Vertex numbers of members; an unknown id is an :class:`InputError`."""
        try:
            return [self.index[m] for m in member_ids]
        except KeyError as exc:
            raise InputError(f"member '{exc.args[0]}' is not in the network") from None
