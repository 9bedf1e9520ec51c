"""One club's records, read once, and the facts every club view derives from them.

The report section, the to-do list, the invitation ranking and the pilot review all ask the
same questions (who is in, what did members do for each other, when were they last active);
they are answered here once so the four views cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select

from connector.errors import InputError
from connector.model import (
    Club,
    Connection,
    Introduction,
    IntroductionStatus,
    Member,
    Membership,
    MembershipStatus,
    Referral,
    ReferralStatus,
)
from connector.store import Tx
from connector.store import schema as tables

__all__ = [
    "ACTIVE",
    "JOINED",
    "ClubFacts",
    "in_club_on",
    "joined_on",
    "load_club_facts",
    "resolve_club",
]

# Memberships whose members take part now; paused ones are in the club but resting.
ACTIVE = frozenset({MembershipStatus.TRIAL, MembershipStatus.MEMBER})
# Memberships of members who joined at some point: their business counts for the club.
JOINED = frozenset({*ACTIVE, MembershipStatus.PAUSED, MembershipStatus.LEFT})


def resolve_club(tx: Tx, club_id: str | None) -> Club:
    """The named club, or the only one; several clubs without a name is a usage error."""
    if club_id is not None:
        return tx.get(Club, club_id)
    clubs = list(tx.find(Club))
    if len(clubs) == 1:
        return clubs[0]
    if not clubs:
        raise InputError("no club exists yet; import one (programme.json) first")
    raise InputError(f"several clubs exist; name one with --club: {', '.join(c.id for c in clubs)}")


@dataclass(frozen=True)
class ClubFacts:
    club: Club
    memberships: list[Membership]
    members: dict[str, Member]  # every member, by id (names, circles, profiles)
    referrals: list[Referral]
    introductions: list[Introduction]  # this club's
    connections: list[Connection]

    @property
    def joined_ids(self) -> set[str]:
        return {m.member_id for m in self.memberships if m.status in JOINED}

    @property
    def active(self) -> list[Membership]:
        return [m for m in self.memberships if m.status in ACTIVE]

    def name(self, member_id: str | None) -> str:
        if member_id is None:
            return "-"
        member = self.members.get(member_id)
        return member.name if member else member_id

    def membership_span(self) -> dict[str, tuple[date, date | None]]:
        """Per member who joined: the day they accepted (or started) and the day they left."""
        spans: dict[str, tuple[date, date | None]] = {}
        for m in self.memberships:
            started = joined_on(m)
            if started is not None:
                spans[m.member_id] = (started, m.left_on)
        return spans

    def between_members(
        self, since: date | None = None, until: date | None = None
    ) -> list[Referral]:
        """Referrals a club member gave to another while both were in the club: the business
        the club created for its members (what they did for each other before joining was
        not the club's doing)."""
        spans = self.membership_span()

        def inside(member_id: str | None, day: date) -> bool:
            span = spans.get(member_id or "")
            return span is not None and span[0] <= day and (span[1] is None or day < span[1])

        return [
            r
            for r in self.referrals
            if inside(r.referrer_id, r.created_at.date())
            and inside(r.recipient_id, r.created_at.date())
            and _within(r.created_at.date(), since, until)
        ]

    def business_introductions(
        self, since: date | None = None, until: date | None = None
    ) -> list[Introduction]:
        return [
            i
            for i in self.introductions
            if i.status is IntroductionStatus.BUSINESS_DONE
            and _within(i.status_changed_at.date(), since, until)
        ]

    def business_value(self, since: date | None = None, until: date | None = None) -> Decimal:
        """Won value of member-to-member referrals plus the value of introductions that led
        to business (an introduction's value is what the moderator recorded for it)."""
        referred = sum(
            (
                r.amount or Decimal(0)
                for r in self.between_members(since, until)
                if r.status is ReferralStatus.WON
            ),
            Decimal(0),
        )
        introduced = sum(
            (i.value or Decimal(0) for i in self.business_introductions(since, until)), Decimal(0)
        )
        return referred + introduced

    def last_activity(self) -> dict[str, date]:
        """Per member, the last day they gave or received a club referral or an introduction
        moved (made, business done); a referral given to us counts too: it is the same habit."""
        last: dict[str, date] = {}

        def seen(member_id: str | None, on: date) -> None:
            if member_id is not None and (member_id not in last or last[member_id] < on):
                last[member_id] = on

        for referral in self.referrals:
            seen(referral.referrer_id, referral.created_at.date())
            seen(referral.recipient_id, referral.created_at.date())
        for intro in self.introductions:
            if intro.status in (IntroductionStatus.MADE, IntroductionStatus.BUSINESS_DONE):
                seen(intro.member_a_id, intro.status_changed_at.date())
                seen(intro.member_b_id, intro.status_changed_at.date())
        return last

    def quiet(self, as_of: date, months: int) -> list[tuple[Membership, date]]:
        """Active members without activity for ``months``, with the day they were last active
        (or started, for members who never were): newcomers get the same grace period."""
        cutoff = as_of - relativedelta(months=months)
        last = self.last_activity()
        quiet: list[tuple[Membership, date]] = []
        for membership in self.active:
            started = membership.trial_started_on or membership.joined_on or membership.invited_on
            since = max(last.get(membership.member_id, started), started)
            if since <= cutoff:
                quiet.append((membership, since))
        return sorted(quiet, key=lambda q: (q[1], q[0].member_id))


def joined_on(membership: Membership) -> date | None:
    """The day a member came in: answered the invitation, started the trial or joined."""
    if membership.status in (MembershipStatus.INVITED, MembershipStatus.DECLINED):
        return None
    return membership.responded_on or membership.trial_started_on or membership.joined_on


def in_club_on(membership: Membership, day: date) -> bool:
    """In the club (trial, member or paused) on ``day``, judged by the recorded dates."""
    started = joined_on(membership)
    if started is None or started > day:
        return False
    # A member who left without a recorded day (records older than left_on) is counted as
    # gone throughout: an unknown exit never inflates a figure.
    if membership.status is MembershipStatus.LEFT:
        return membership.left_on is not None and membership.left_on > day
    return True


def _within(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def load_club_facts(
    tx: Tx, club: Club, *, with_connections: bool = False, everyone: bool = True
) -> ClubFacts:
    """The club's records and, with ``everyone``, every member and referral of the network.

    Without ``everyone`` only the club's own members (and its moderator) are read, with the
    referrals one of them gave or received: all the club's own figures look at (who is in,
    what they did for each other, when each was last active). The pilot review's comparison
    with customers outside the club needs ``everyone``. At 100,000 members and 200,000
    referrals, reading and validating the whole network for a club of 2,000 was a fifth of
    ``refnet report``'s time.
    """
    memberships = list(tx.find(Membership, club_id=club.id))
    if everyone:
        members = {m.id: m for m in tx.find(Member)}
        referrals = list(tx.find(Referral))
    else:
        members, referrals = _club_members_and_referrals(tx, club)
    connections: Iterable[Connection] = tx.find(Connection) if with_connections else ()
    return ClubFacts(
        club=club,
        memberships=memberships,
        members=members,
        referrals=referrals,
        introductions=list(tx.find(Introduction, club_id=club.id)),
        connections=list(connections),
    )


def _club_members_and_referrals(tx: Tx, club: Club) -> tuple[dict[str, Member], list[Referral]]:
    """The club's members and moderator by id, and the referrals touching a member, by id."""
    in_club = select(tables.memberships.c.member_id).where(tables.memberships.c.club_id == club.id)
    members_t, referrals_t = tables.members, tables.referrals
    member_query = select(members_t).where(
        or_(members_t.c.id.in_(in_club), members_t.c.id == club.moderator_id)
    )
    referral_query = select(referrals_t).where(
        or_(referrals_t.c.referrer_id.in_(in_club), referrals_t.c.recipient_id.in_(in_club))
    )
    db = tx.connection
    members = {
        member.id: member
        for member in (
            Member.model_validate(dict(row))
            for row in db.execute(member_query.order_by(members_t.c.id)).mappings()
        )
    }
    referrals = [
        Referral.model_validate(dict(row))
        for row in db.execute(referral_query.order_by(referrals_t.c.id)).mappings()
    ]
    return members, referrals
