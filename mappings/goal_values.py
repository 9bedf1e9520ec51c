"""An agreement's goals as CRM values: measured from the data, one page of agreements at a time.

The partner's referrals and introductions are read once per page (one query each), and the
goals measured by :mod:`connector.goals` as of the sync's score day, so the CRM shows the
same progress as ``refnet report``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connector.goals import AgreementProgress, measure_agreement, measure_agreements
from connector.joint_events import load_attendance
from connector.model import Agreement, Introduction, Partnership, Record, Referral
from connector.money import MoneyConfig
from connector.store import Tx

__all__ = ["METRICS", "goal_values"]

# The metrics with a target and an actual field on the CRM's agreement object.
METRICS = ("referrals_given", "referrals_won", "won_value", "joint_events", "introductions")


def goal_values(
    tx: Tx, records: Sequence[Record], *, as_of: datetime, money: MoneyConfig | None = None
) -> dict[str, dict[str, Any]]:
    """Agreement id → its computed ``goals_measured``, ``goal_progress`` and per-metric values."""
    agreements = [r for r in records if isinstance(r, Agreement)]
    if not agreements:
        return {}
    partnership_ids = sorted({a.partnership_id for a in agreements})
    partners = {p.id: p.member_id for p in tx.find_in(Partnership, {"id": partnership_ids})}
    members = sorted(set(partners.values()))
    referrals = tx.find_in(Referral, {"referrer_id": members}) if members else []
    introductions = (
        tx.find_in(Introduction, {"member_a_id": members, "member_b_id": members})
        if members
        else []
    )
    # Joint events recorded in the store measure the joint-event goals (issue #18).
    measured = measure_agreements(
        agreements,
        partners,
        referrals,
        introductions,
        as_of=as_of,
        money=money,
        events=load_attendance(tx),
    )
    # An agreement whose partnership is not stored still gets every value (none measured),
    # since a computed value left out is refused rather than sent as a silent null.
    return {
        a.id: _values(measured.get(a.id) or measure_agreement(a, "", [], as_of=as_of, money=money))
        for a in agreements
    }


def _values(progress: AgreementProgress) -> dict[str, Any]:
    values: dict[str, Any] = {
        "goals_measured": progress.summary() or None,
        "goal_progress": progress.progress,
    }
    for metric in METRICS:
        goals = [g for g in progress.goals if g.metric == metric]
        measured = [g.actual for g in goals if g.actual is not None]
        values[f"goal_{metric}_target"] = sum(g.target for g in goals) if goals else None
        values[f"goal_{metric}_actual"] = sum(measured) if measured else None
    return values
