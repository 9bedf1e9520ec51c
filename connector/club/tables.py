"""The club's tables as plain rows, shared by the terminal report and the HTML page.

Each function returns (title, columns, rows); renderers only format, so both outputs always
show the same figures. Titles, headers and figures are in the reader's language.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connector.club.pilot import PilotReview, matched_by
from connector.club.section import ClubSection
from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.report_format import amount, number, percent
from connector.report_format import day as _day
from connector.report_table import Section
from connector.report_words import value_label

__all__ = ["review_tables", "section_tables"]


def money(value: Decimal) -> str:
    return amount(value)


def day(value: date | None) -> str:
    # English club tables always wrote 31.12.2025; German writes it the same way.
    return _day(value, english="%d.%m.%Y")


def _by_status(counts: dict[str, int]) -> str:
    return ", ".join(f"{value_label(k)}: {number(v)}" for k, v in counts.items())


def section_tables(section: ClubSection, *, top: int = 10) -> list[Section]:
    """The business the club created, its members' activity and its growth (and the pilot)."""
    tables = [
        Section(
            _("club {name} ({club_id}): business created for its members").format(
                name=section.name, club_id=section.club_id
            ),
            [
                _("moderator"),
                _("memberships"),
                _("referrals between members"),
                _("won (value)"),
                _("introductions"),
                _("introduction value"),
                _("business value"),
            ],
            [
                (
                    section.moderator or _("none (set one: refnet club moderator)"),
                    _by_status(section.memberships),
                    section.referrals_between_members,
                    f"{number(section.referrals_won)} ({money(section.referrals_won_value)})",
                    _by_status(section.introductions),
                    money(section.introductions_value),
                    money(section.business_value),
                )
            ],
        ),
        Section(
            _(
                "club members: {active} active, {quiet} quiet, {trials} (first {top} of each)"
            ).format(
                active=number(len(section.active)),
                quiet=number(len(section.quiet)),
                trials=ngettext(
                    "{count} trial ending", "{count} trials ending", len(section.trials_ending)
                ).format(count=number(len(section.trials_ending))),
                top=number(top),
            ),
            [_("member"), _("status"), _("last active"), _("note")],
            [
                *(
                    (
                        q.name,
                        value_label(q.status),
                        day(q.last_active_on),
                        _("quiet since {day}").format(day=day(q.quiet_since)),
                    )
                    for q in section.quiet[:top]
                ),
                *(
                    (
                        t.name,
                        value_label(t.status),
                        day(t.last_active_on),
                        _("trial ends {day}").format(day=day(t.trial_ends_on)),
                    )
                    for t in section.trials_ending[:top]
                ),
                *(
                    (a.name, value_label(a.status), day(a.last_active_on), _("active"))
                    for a in section.active[:top]
                ),
            ],
        ),
        Section(
            _("club growth per quarter"),
            [
                _("quarter"),
                _("invited"),
                _("accepted"),
                _("declined"),
                _("left"),
                _("members at end"),
            ],
            [
                (g.quarter, g.invited, g.accepted, g.declined, g.left, g.members_at_end)
                for g in section.growth
            ],
        ),
    ]
    if section.pilot is not None:
        tables += review_tables(section.pilot)
    return tables


def review_tables(review: PilotReview) -> list[Section]:
    tables = [
        Section(
            _("pilot review of {club} on {day} (test phase {starts} - {ends})").format(
                club=review.club_name,
                day=day(review.as_of),
                starts=day(review.starts_on),
                ends=day(review.ends_on),
            ),
            [_("goal"), _("target"), _("due by now"), _("actual"), _("attainment")],
            [
                (
                    value_label(g.goal),
                    number(g.target),
                    number(g.due_by_now),
                    number(g.actual),
                    percent(g.attainment),
                )
                for g in review.goals
            ],
        )
    ]
    comparison = review.comparison
    if comparison is not None:
        tables.append(
            Section(
                _(
                    "club members vs comparable customers outside the club (same {matched_by})"
                ).format(matched_by=matched_by(comparison.matched_by)),
                [_("group"), _("customers"), _("referrals each"), _("won value each")],
                [
                    (
                        _("members"),
                        comparison.members,
                        number(comparison.member_referrals_each),
                        money(comparison.member_won_value_each),
                    ),
                    (
                        _("non-members"),
                        comparison.non_members,
                        number(comparison.non_member_referrals_each),
                        money(comparison.non_member_won_value_each),
                    ),
                ],
            )
        )
    tables.append(
        Section(
            _("pilot recommendation: {recommendation}").format(
                recommendation=value_label(review.recommendation).upper()
            ),
            [_("because")],
            [(reason,) for reason in review.reasons],
        )
    )
    return tables
