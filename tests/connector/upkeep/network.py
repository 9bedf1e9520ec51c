"""A small network for the upkeep tests: two employees, a partner, customers, known ties."""

from __future__ import annotations

from datetime import UTC, date, datetime

from connector.model import Circle, Connection, Member, Record
from connector.store import Store

RECORDED = datetime(2025, 3, 1, 9, tzinfo=UTC)
KNOWN = datetime(2023, 1, 1, tzinfo=UTC)


def member(member_id: str, circle: Circle = Circle.CUSTOMER, *, name: str) -> Member:
    # Known before everything the tests date, so ``report --as-of`` copies them.
    return Member(id=member_id, name=name, circle=circle, created_at=KNOWN)


def tie(
    from_id: str, to_id: str, strength: int, last: date | None = None, *, owner: str | None = None
) -> Connection:
    return Connection(
        id=f"con-{from_id}-{to_id}",
        from_id=from_id,
        to_id=to_id,
        strength=strength,
        employee_id=owner,
        last_contact_on=last,
        created_at=RECORDED,
    )


def small_network(store: Store) -> None:
    """``emp`` (Anna) and ``emp2`` (Bernd) deliver networks, ``emp3`` (Carla) has none.

    ties: emp–c1 (5, last 01.02.2025), emp–c2 (4, none), emp–p1 (4, 01.12.2025),
    c1–c2 (3, none), c2–c3 (2, none), emp2–c3 (5, 10.01.2025), emp2–c4 (2, 01.01.2024).
    """
    records: list[Record] = [
        member("emp", Circle.EMPLOYEE, name="Anna Weber"),
        member("emp2", Circle.EMPLOYEE, name="Bernd Koch"),
        member("emp3", Circle.EMPLOYEE, name="Carla Busch"),
        member("p1", Circle.PARTNER, name="Vogel GmbH"),
        *(member(f"c{i}", name=f"Kunde {i}") for i in range(1, 5)),
        tie("emp", "c1", 5, date(2025, 2, 1), owner="emp"),
        tie("emp", "c2", 4, owner="emp"),
        tie("emp", "p1", 4, date(2025, 12, 1), owner="emp"),
        tie("c1", "c2", 3),
        tie("c2", "c3", 2),
        tie("emp2", "c3", 5, date(2025, 1, 10), owner="emp2"),
        tie("emp2", "c4", 2, date(2024, 1, 1), owner="emp2"),
    ]
    with store.transaction() as tx:
        tx.put_many(records)
