"""What a sales user sees of the club on a member's Contact: status and trial end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from connector.model import Club, Membership, MembershipStatus
from connector.store import Tx

__all__ = ["CLUB_COMPUTED", "member_club_fields"]

CLUB_COMPUTED = frozenset({"club_status", "club_trial_ends_on"})

# When a member has several memberships, the one that matters most to a sales user is shown.
_PRECEDENCE = {
    MembershipStatus.TRIAL: 0,
    MembershipStatus.MEMBER: 1,
    MembershipStatus.INVITED: 2,
    MembershipStatus.PAUSED: 3,
    MembershipStatus.DECLINED: 4,
    MembershipStatus.LEFT: 5,
}


def member_club_fields(tx: Tx, member_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``club_status`` ("Weber Kundenclub: trial") and ``club_trial_ends_on`` per member;
    members outside every club get empty values, so a member who leaves is cleared."""
    values: dict[str, dict[str, Any]] = {
        member_id: {"club_status": None, "club_trial_ends_on": None} for member_id in member_ids
    }
    memberships = tx.find_in(Membership, {"member_id": list(member_ids)}) if member_ids else []
    if not memberships:
        return values
    clubs = {
        c.id: c.name for c in tx.find_in(Club, {"id": sorted({m.club_id for m in memberships})})
    }
    best: dict[str, Membership] = {}
    for membership in sorted(memberships, key=lambda m: (_PRECEDENCE[m.status], m.club_id)):
        best.setdefault(membership.member_id, membership)
    for member_id, membership in best.items():
        trial_end: date | None = (
            membership.trial_ends_on if membership.status is MembershipStatus.TRIAL else None
        )
        values[member_id] = {
            "club_status": f"{clubs.get(membership.club_id, membership.club_id)}: "
            f"{membership.status.value}"[:120],
            "club_trial_ends_on": trial_end,
        }
    return values
