"""``refnet club todo``: what the moderator has to do, soonest first.

Moderation (precondition 3) means following up: introductions whose follow-up is due,
trials about to end (decide with the member: full membership or goodbye), members who have
gone quiet, and the pilot's end (time for ``refnet club review``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from connector.club.facts import ClubFacts
from connector.i18n import gettext as _
from connector.model import IntroductionStatus, MembershipStatus
from connector.report_format import day as _day
from connector.report_words import value_label
from connector.rules.config import ClubRulesConfig

__all__ = ["TodoItem", "club_todo"]


@dataclass(frozen=True)
class TodoItem:
    due_on: date
    what: str  # follow_up, trial_ending, quiet_member, pilot_ending
    record_kind: str
    record_id: str
    who: str
    detail: str
    overdue: bool


def day(value: date) -> str:
    # The to-do always wrote 31.12.2025, in English too; German the same through Babel.
    return _day(value, english="%d.%m.%Y")


_OPEN_INTRODUCTIONS = (IntroductionStatus.SUGGESTED, IntroductionStatus.MADE)


def club_todo(facts: ClubFacts, config: ClubRulesConfig, *, as_of: date) -> list[TodoItem]:
    items: list[TodoItem] = []
    horizon = as_of + timedelta(days=config.todo_horizon_days)
    for intro in facts.introductions:
        if intro.status not in _OPEN_INTRODUCTIONS:
            continue
        due = intro.follow_up_on
        if due is None and intro.status is IntroductionStatus.MADE:
            # A made introduction nobody scheduled still needs asking how it went.
            due = intro.status_changed_at.date() + timedelta(days=config.follow_up_days)
        if due is None or due > horizon:
            continue
        verb = (
            _("ask both how it went") if intro.status is IntroductionStatus.MADE else _("make it")
        )
        items.append(
            TodoItem(
                due,
                "follow_up",
                "introduction",
                intro.id,
                f"{facts.name(intro.member_a_id)} ↔ {facts.name(intro.member_b_id)}",
                _("{status}: {action}; record outcome and value").format(
                    status=value_label(intro.status.value), action=verb
                ),
                due < as_of,
            )
        )
    trial_horizon = as_of + timedelta(days=config.trial_ending_within_days)
    for membership in facts.memberships:
        ends = membership.trial_ends_on
        if (
            membership.status is MembershipStatus.TRIAL
            and ends is not None
            and ends <= trial_horizon
        ):
            items.append(
                TodoItem(
                    ends,
                    "trial_ending",
                    "membership",
                    membership.id,
                    facts.name(membership.member_id),
                    _("trial ends {day}: full membership (rules accepted?) or goodbye").format(
                        day=day(ends)
                    ),
                    ends < as_of,
                )
            )
    for membership, since in facts.quiet(as_of, config.quiet_after_months):
        items.append(
            TodoItem(
                as_of,
                "quiet_member",
                "membership",
                membership.id,
                facts.name(membership.member_id),
                _(
                    "no club activity since {day} (quiet after {months} months): call, or ask "
                    "whether to pause"
                ).format(day=day(since), months=config.quiet_after_months),
                False,
            )
        )
    pilot = facts.club.pilot
    if pilot is not None and as_of <= pilot.ends_on <= trial_horizon:
        items.append(
            TodoItem(
                pilot.ends_on,
                "pilot_ending",
                "club",
                facts.club.id,
                facts.club.name,
                _("test phase ends {day}: run `refnet club review`").format(day=day(pilot.ends_on)),
                False,
            )
        )
    return sorted(items, key=lambda i: (i.due_on, i.what, i.record_id))
