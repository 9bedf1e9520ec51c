"""Small hand-drawn networks for the intelligence tests: members by circle, ties by hand."""

from __future__ import annotations

from connector.intelligence import NetworkGraph
from connector.intelligence.graph import ConnectionRow, MemberRow
from connector.model import Circle

_CIRCLES = {"e": Circle.EMPLOYEE, "c": Circle.CUSTOMER, "p": Circle.PARTNER, "x": Circle.PROSPECT}


def member_row(member_id: str) -> MemberRow:
    """A member whose circle is read from its id's first letter (e1 employee, c1 customer...)."""
    return MemberRow(member_id, f"Name {member_id}", _CIRCLES[member_id[0]])


def tie(a: str, b: str, strength: int = 3, *, willing: bool = False) -> ConnectionRow:
    """``a`` knows ``b``; ``willing``: ``a`` will introduce ``b`` to others."""
    return ConnectionRow(a, b, strength, willing)


def network(ties: list[ConnectionRow], *extra_members: str) -> NetworkGraph:
    ids = {t.from_id for t in ties} | {t.to_id for t in ties} | set(extra_members)
    return NetworkGraph([member_row(i) for i in ids], ties)
