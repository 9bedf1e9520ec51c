"""Step-1 coverage and relationship upkeep (issue #18, items 7 and 8).

**Coverage** — step 1 asks for the network of *every* employee. An employee has *delivered*
when at least one connection is recorded as part of their network (``employee_id``), by an
import or entered by hand; *when* is the day the latest of those was recorded, *how big*
the number of those connections (and how many are strong).

**Cooling** — a connection of an employee's network is cooling when it is strong
(strength ≥ :attr:`PathConfig.strong_tie`) and its last contact lies more than
:attr:`UpkeepConfig.cooling_after_months` months back (:func:`connector.upkeep.is_cooling`).
Strong connections with no last-contact date are counted apart ("no contact date").

A connection's last contact is the later of its own date (import, joint events) and the
last activity the CRM logged with the contact (``Member.crm_last_activity_on``: HubSpot's
"Last Contacted", Salesforce's ``LastActivityDate``, read back by the sync): a call the
company logged with a customer keeps that customer's ties to employees warm. The CRM does
not say which employee called, so the date counts for every employee who knows them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from connector.intelligence.config import PathConfig, UpkeepConfig
from connector.model import Circle
from connector.store import Tx
from connector.store import schema as tables
from connector.upkeep import cooling_cutoff

__all__ = ["CoolingTie", "EmployeeCoverage", "UpkeepAnalysis", "analyse_upkeep"]


@dataclass(frozen=True)
class EmployeeCoverage:
    member_id: str
    name: str
    connections: int
    strong: int
    delivered_on: date | None  # the day the latest connection of the network was recorded
    cooling: int
    undated_strong: int  # strong connections with no last-contact date

    @property
    def delivered(self) -> bool:
        return self.connections > 0


@dataclass(frozen=True)
class CoolingTie:
    connection_id: str
    employee_id: str
    member_id: str
    strength: int
    last_contact_on: date


@dataclass(frozen=True)
class UpkeepAnalysis:
    as_of: date
    cooling_after_months: int
    employees: list[EmployeeCoverage]  # not delivered first, then by name
    cooling: list[CoolingTie]  # longest without contact first, cut to ``top``
    cooling_total: int

    @property
    def delivered(self) -> list[EmployeeCoverage]:
        return [e for e in self.employees if e.delivered]

    @property
    def missing(self) -> list[EmployeeCoverage]:
        return [e for e in self.employees if not e.delivered]


def analyse_upkeep(
    tx: Tx, paths: PathConfig, upkeep: UpkeepConfig, *, as_of: date, top: int = 10
) -> UpkeepAnalysis:
    """Coverage of every employee and the cooling ties of their networks, as of ``as_of``."""
    m, c = tables.members, tables.connections
    employees = dict(
        tx.connection.execute(
            select(m.c.id, m.c.name).where(m.c.circle == Circle.EMPLOYEE.value)
        ).all()
    )
    activity: dict[str, date] = dict(
        tx.connection.execute(
            select(m.c.id, m.c.crm_last_activity_on).where(m.c.crm_last_activity_on.is_not(None))
        ).all()
    )
    cutoff = cooling_cutoff(as_of, upkeep.cooling_after_months)
    size: dict[str, int] = defaultdict(int)
    strong: dict[str, int] = defaultdict(int)
    undated: dict[str, int] = defaultdict(int)
    latest: dict[str, date] = {}
    cooling: list[CoolingTie] = []
    rows = tx.connection.execute(
        select(
            c.c.id,
            c.c.employee_id,
            c.c.from_id,
            c.c.to_id,
            c.c.strength,
            c.c.last_contact_on,
            c.c.created_at,
        ).where(c.c.employee_id.is_not(None))
    )
    for row in rows:
        owner = row.employee_id
        size[owner] += 1
        recorded = row.created_at.date()
        latest[owner] = max(latest.get(owner, recorded), recorded)
        if row.strength < paths.strong_tie:
            continue
        strong[owner] += 1
        other = row.to_id if row.from_id == owner else row.from_id
        dates = [d for d in (row.last_contact_on, activity.get(other)) if d is not None]
        last = max(dates) if dates else None
        if last is None:
            undated[owner] += 1
        elif last < cutoff:
            cooling.append(CoolingTie(row.id, owner, other, row.strength, last))
    cooling.sort(key=lambda t: (t.last_contact_on, -t.strength, t.connection_id))
    per_employee: dict[str, int] = defaultdict(int)
    for tie in cooling:
        per_employee[tie.employee_id] += 1
    coverage = sorted(
        (
            EmployeeCoverage(
                member_id,
                name,
                connections=size.get(member_id, 0),
                strong=strong.get(member_id, 0),
                delivered_on=latest.get(member_id),
                cooling=per_employee.get(member_id, 0),
                undated_strong=undated.get(member_id, 0),
            )
            for member_id, name in employees.items()
        ),
        key=lambda e: (e.delivered, e.name, e.member_id),
    )
    return UpkeepAnalysis(as_of, upkeep.cooling_after_months, coverage, cooling[:top], len(cooling))
