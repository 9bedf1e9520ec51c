"""Every table of ``refnet report`` as plain title, columns and rows, for every renderer.

The terminal and the HTML page both render this one list, so the page shows everything the
terminal does (proposed demotions, the per-pair balance, goal progress, ...) with the same
figures; a section added here appears in both. Titles, headers and figures are in the
reader's language (:mod:`connector.i18n`), translated when the report is built, never at
import.
"""

from __future__ import annotations

from connector.club.tables import section_tables
from connector.contributions.labels import kind_label
from connector.i18n import format_date, format_money, format_number
from connector.i18n import gettext as _
from connector.intelligence.summary import IntelligenceReport
from connector.intelligence.tables import (
    CANDIDATE_COLUMNS,
    COMPANY_COLUMNS,
    CONNECTOR_COLUMNS,
    EMPLOYEE_COLUMNS,
    OVERLAP_COLUMNS,
    SUGGESTION_COLUMNS,
    UNACTIVATED_COLUMNS,
    candidate_rows,
    company_rows,
    employee_rows,
    headers,
    overlap_rows,
    suggestion_rows,
    unactivated_rows,
)
from connector.intelligence.upkeep_tables import upkeep_tables
from connector.money import MoneyConfig, MoneyTotals
from connector.report import NetworkReport
from connector.report_format import amount, day, fixed, number, percent, signed
from connector.report_table import Section
from connector.report_words import value_label

__all__ = ["Section", "intelligence_sections", "report_sections"]


def _counts(counts: dict[str, int]) -> str:
    return (
        "\n".join(f"{value_label(name)}: {number(count)}" for name, count in counts.items()) or "-"
    )


def _money(totals: MoneyTotals, money: MoneyConfig, *, plain: bool = False) -> str:
    """``plain``: every amount is in the base currency, which the column header names."""
    if plain:
        return amount(totals.by_currency.get(money.base_currency, 0))
    return totals.describe(money)


def _stage(value: str | None) -> str | None:
    return None if value is None else value_label(value)


def report_sections(report: NetworkReport) -> list[Section]:
    """The report's own tables, then the intelligence ones, in the order they print."""
    money = report.money
    base = money.base_currency
    # With one currency in the whole report, the headers name it and cells stay short.
    plain = set(report.won_value.by_currency) <= {base}
    return [
        Section(
            _("network on {day}").format(day=day(report.as_of.date())),
            [
                _("members by circle"),
                _("ladder"),
                _("partner pipeline"),
                _("referrals"),
                _("won value"),
            ],
            [
                (
                    _counts(report.members_by_circle),
                    _counts(report.ladder),
                    _counts(report.pipeline),
                    _counts(report.referrals_by_status),
                    _money(report.won_value, money),
                )
            ],
        ),
        Section(
            _("won value per currency (never summed across currencies)"),
            [_("currency"), _("won value"), _("in {currency}").format(currency=base)],
            [
                (
                    currency,
                    amount(value),
                    amount(converted)
                    if (converted := money.convert(value, currency)) is not None
                    else _("no rate"),
                )
                for currency, value in report.won_value.as_dict().items()
            ],
        ),
        Section(
            _("top multipliers"),
            [
                "#",
                _("member"),
                _("circle"),
                _("ladder"),
                _("score"),
                _("positive"),
                _("won"),
                _("lost"),
                _("won value ({currency})").format(currency=base) if plain else _("won value"),
                _("multiplier"),
            ],
            [
                (
                    m.rank,
                    m.name,
                    value_label(m.circle),
                    _stage(m.ladder_stage),
                    fixed(m.score.score, 1),
                    m.score.positive_referrals,
                    m.score.won,
                    m.score.lost,
                    _money(m.score.won_by_currency, money, plain=plain),
                    _("yes") if m.is_multiplier else "",
                )
                for m in report.top_multipliers
            ],
        ),
        Section(
            _("win-win balance (members who give and receive; most one-sided first)"),
            [
                _("member"),
                _("given"),
                _("received"),
                _("balance"),
                _("given value ({currency})").format(currency=base),
                _("received value ({currency})").format(currency=base),
            ],
            [
                (
                    b.name,
                    b.tally.given,
                    b.tally.received,
                    signed(b.tally.balance),
                    amount(b.tally.given_value),
                    amount(b.tally.received_value),
                )
                for b in report.balances
            ],
        ),
        Section(
            _("win-win balance per pair (given: a → b, received: b → a; most one-sided first)"),
            ["a", "b", _("given"), _("received"), _("balance")],
            [
                (
                    report.names[p.a],
                    report.names[p.b],
                    p.tally.given,
                    p.tally.received,
                    signed(p.tally.balance),
                )
                for p in report.one_sided_pairs
            ],
        ),
        # The contributions ledger (issue #18): giving back besides referrals.
        *contribution_sections(report),
        Section(
            _("proposed demotions (not applied; decide with `refnet advance member ...`)"),
            [_("member"), _("from"), _("to"), _("reason")],
            [
                (
                    f"{report.names[d.member_id]} ({d.member_id})",
                    value_label(d.current),
                    value_label(d.proposed),
                    d.reason,
                )
                for d in report.demotions
            ],
        ),
        Section(
            _("goal agreements: progress measured from the data"),
            [
                _("partner"),
                _("agreement"),
                _("goal"),
                _("period"),
                _("target"),
                _("actual"),
                _("progress"),
            ],
            [
                (
                    report.partners[a.partnership_id],
                    a.agreement_id,
                    goal.description or value_label(goal.metric),
                    f"{day(goal.period_start)} – {day(goal.period_end)}",
                    number(goal.target),
                    _("not measured") if goal.actual is None else number(goal.actual),
                    (percent(goal.progress) if goal.progress is not None else "-")
                    + (f" ({goal.note})" if goal.note else ""),
                )
                for a in report.goals
                for goal in a.goals
            ],
        ),
        *intelligence_sections(report.intelligence),
        # The customer club (issue #18): business for its members, activity, growth, pilot.
        *(table for club in report.club for table in section_tables(club)),
    ]


def contribution_sections(report: NetworkReport) -> list[Section]:
    """What was given besides referrals (counted in the balances above) and what is owed."""
    names = report.names
    return [
        Section(
            _("contributions given (counted in the win-win balance)"),
            [_("kind"), _("count")],
            [
                (kind_label(kind), format_number(count))
                for kind, count in report.contributions_by_kind.items()
            ],
        ),
        Section(
            _("pending rewards (give with `refnet rewards fulfil ID`)"),
            [_("id"), _("for"), _("reward"), _("worth"), _("owed since")],
            [
                (
                    c.id,
                    names.get(c.receiver_id or "", c.receiver_id or ""),
                    c.description,
                    format_money(c.value, c.currency)
                    if c.value is not None and c.currency
                    else "-",
                    format_date(c.created_at.date()),
                )
                for c in report.pending_rewards
            ],
        ),
    ]


def intelligence_sections(data: IntelligenceReport) -> list[Section]:
    analysis, names = data.analysis, data.names
    how = _("exact betweenness") if data.betweenness_exact else _("sampled betweenness")
    sections = [
        Section(
            _("company network (step 1: every employee's network)"),
            headers(COMPANY_COLUMNS),
            company_rows(analysis),
        ),
        Section(
            _("employee networks (widest first)"),
            headers(EMPLOYEE_COLUMNS),
            employee_rows(analysis),
        ),
        # Step-1 coverage and cooling relationships (issue #18, items 7 and 8).
        *(upkeep_tables(data.upkeep, names) if data.upkeep else []),
        Section(
            _("overlap between employees' contacts"),
            headers(OVERLAP_COLUMNS),
            overlap_rows(analysis, names),
        ),
        Section(
            _("contacts nobody has activated yet (no referral, no introduction)"),
            headers(UNACTIVATED_COLUMNS),
            unactivated_rows(analysis, names),
        ),
        Section(
            _("top connectors outside the company ({how})").format(how=how),
            headers(CONNECTOR_COLUMNS),
            [
                (
                    c.rank,
                    c.name,
                    value_label(c.circle),
                    fixed(c.score.score, 1),
                    fixed(c.score.bridge, 2),
                    fixed(c.score.betweenness, 0),
                    percent(c.score.willingness) if c.score.willingness_known else _("unknown"),
                )
                for c in data.connectors
            ],
        ),
    ]
    for target in data.candidates:
        sections.append(
            Section(
                _(
                    "partner candidates for '{target}' (add with `refnet intel candidates "
                    "--target {target_id} --add N`)"
                ).format(target=target.target_name, target_id=target.target_id),
                headers(CANDIDATE_COLUMNS),
                candidate_rows(target.candidates, names),
            )
        )
    for club in data.clubs:
        stats = club.stats
        sections.append(
            Section(
                _(
                    "suggested introductions in '{club}' ({suggestions} in all, {compared} of "
                    "{pairs} pairs compared; write them with `refnet intel suggest --club "
                    "{club_id} --apply`)"
                ).format(
                    club=club.club_name,
                    suggestions=number(stats.suggestions),
                    compared=number(stats.pairs_compared),
                    pairs=number(stats.all_pairs),
                    club_id=club.club_id,
                ),
                headers(SUGGESTION_COLUMNS),
                suggestion_rows(club.suggestions, names),
            )
        )
    sections.append(
        Section(
            _("win-win health of strategic partners (flagged first)"),
            [
                _("partner"),
                _("stage"),
                _("given"),
                _("received"),
                _("given/received per quarter, oldest first"),
                _("goals (measured)"),
                _("flags"),
            ],
            [
                (
                    h.name,
                    value_label(h.stage),
                    h.given,
                    h.received,
                    " ".join(f"{q.quarter} {q.given}/{q.received}" for q in h.quarters),
                    "\n".join(goal.describe() for check in h.agreements for goal in check.goals)
                    or "-",
                    "\n".join(h.flags) or _("ok"),
                )
                for h in data.health
            ],
        )
    )
    return sections
