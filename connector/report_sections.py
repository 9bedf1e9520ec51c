"""Every table of ``refnet report`` as plain title, columns and rows, for every renderer.

The terminal and the HTML page both render this one list, so the page shows everything the
terminal does (proposed demotions, the per-pair balance, goal progress, ...) with the same
figures; a section added here appears in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.club.tables import section_tables
from connector.contributions.labels import kind_label
from connector.i18n import format_date, format_money, format_number
from connector.i18n import gettext as _
from connector.intelligence.summary import IntelligenceReport
from connector.intelligence.tables import (
    CANDIDATE_COLUMNS,
    COMPANY_COLUMNS,
    EMPLOYEE_COLUMNS,
    OVERLAP_COLUMNS,
    SUGGESTION_COLUMNS,
    UNACTIVATED_COLUMNS,
    Row,
    candidate_rows,
    company_rows,
    employee_rows,
    overlap_rows,
    suggestion_rows,
    unactivated_rows,
)
from connector.money import MoneyConfig, MoneyTotals
from connector.report import NetworkReport

__all__ = ["Section", "intelligence_sections", "report_sections"]


@dataclass(frozen=True)
class Section:
    title: str
    columns: Sequence[str]
    rows: list[Row]


def _counts(counts: dict[str, int]) -> str:
    return "\n".join(f"{name}: {count}" for name, count in counts.items()) or "-"


def _money(totals: MoneyTotals, money: MoneyConfig, *, plain: bool = False) -> str:
    """``plain``: every amount is in the base currency, which the column header names."""
    if plain:
        return f"{totals.by_currency.get(money.base_currency, 0):,.2f}"
    return totals.describe(money)


def report_sections(report: NetworkReport) -> list[Section]:
    """The report's own tables, then the intelligence ones, in the order they print."""
    money = report.money
    base = money.base_currency
    # With one currency in the whole report, the headers name it and cells stay short.
    plain = set(report.won_value.by_currency) <= {base}
    return [
        Section(
            f"network on {report.as_of.date()}",
            ["members by circle", "ladder", "partner pipeline", "referrals", "won value"],
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
            "won value per currency (never summed across currencies)",
            ["currency", "won value", f"in {base}"],
            [
                (
                    currency,
                    f"{amount:,.2f}",
                    f"{converted:,.2f}"
                    if (converted := money.convert(amount, currency)) is not None
                    else "no rate",
                )
                for currency, amount in report.won_value.as_dict().items()
            ],
        ),
        Section(
            "top multipliers",
            [
                "#",
                "member",
                "circle",
                "ladder",
                "score",
                "positive",
                "won",
                "lost",
                f"won value ({base})" if plain else "won value",
                "multiplier",
            ],
            [
                (
                    m.rank,
                    m.name,
                    m.circle,
                    m.ladder_stage,
                    f"{m.score.score:.1f}",
                    m.score.positive_referrals,
                    m.score.won,
                    m.score.lost,
                    _money(m.score.won_by_currency, money, plain=plain),
                    "yes" if m.is_multiplier else "",
                )
                for m in report.top_multipliers
            ],
        ),
        Section(
            "win-win balance (members who give and receive; most one-sided first)",
            [
                "member",
                "given",
                "received",
                "balance",
                f"given value ({base})",
                f"received value ({base})",
            ],
            [
                (
                    b.name,
                    b.tally.given,
                    b.tally.received,
                    f"{b.tally.balance:+d}",
                    f"{b.tally.given_value:,.2f}",
                    f"{b.tally.received_value:,.2f}",
                )
                for b in report.balances
            ],
        ),
        Section(
            "win-win balance per pair (given: a → b, received: b → a; most one-sided first)",
            ["a", "b", "given", "received", "balance"],
            [
                (
                    report.names[p.a],
                    report.names[p.b],
                    p.tally.given,
                    p.tally.received,
                    f"{p.tally.balance:+d}",
                )
                for p in report.one_sided_pairs
            ],
        ),
        # The contributions ledger (issue #18): giving back besides referrals.
        *contribution_sections(report),
        Section(
            "proposed demotions (not applied; decide with `refnet advance member ...`)",
            ["member", "from", "to", "reason"],
            [
                (f"{report.names[d.member_id]} ({d.member_id})", d.current, d.proposed, d.reason)
                for d in report.demotions
            ],
        ),
        Section(
            "goal agreements: progress measured from the data",
            ["partner", "agreement", "goal", "period", "target", "actual", "progress"],
            [
                (
                    report.partners[a.partnership_id],
                    a.agreement_id,
                    goal.label,
                    f"{goal.period_start} – {goal.period_end}",
                    f"{goal.target:g}",
                    "not measured" if goal.actual is None else f"{goal.actual:g}",
                    (f"{goal.progress:.0%}" if goal.progress is not None else "-")
                    + (f" ({goal.note})" if goal.note else ""),
                )
                for a in report.goals
                for goal in a.goals
            ],
        ),
        *intelligence_sections(report.intelligence),
        # The customer club (issue #18): business for its members, activity, growth, pilot.
        *(
            Section(t.title, t.columns, t.rows)
            for club in report.club
            for t in section_tables(club)
        ),
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
    how = "exact betweenness" if data.betweenness_exact else "sampled betweenness"
    sections = [
        Section(
            "company network (step 1: every employee's network)",
            COMPANY_COLUMNS,
            company_rows(analysis),
        ),
        Section("employee networks (widest first)", EMPLOYEE_COLUMNS, employee_rows(analysis)),
        Section(
            "overlap between employees' contacts", OVERLAP_COLUMNS, overlap_rows(analysis, names)
        ),
        Section(
            "contacts nobody has activated yet (no referral, no introduction)",
            UNACTIVATED_COLUMNS,
            unactivated_rows(analysis, names),
        ),
        Section(
            f"top connectors outside the company ({how})",
            ["#", "member", "circle", "score", "bridge", "betweenness", "willing to introduce"],
            [
                (
                    c.rank,
                    c.name,
                    c.circle,
                    f"{c.score.score:.1f}",
                    f"{c.score.bridge:.2f}",
                    f"{c.score.betweenness:,.0f}",
                    f"{c.score.willingness:.0%}" if c.score.willingness_known else "unknown",
                )
                for c in data.connectors
            ],
        ),
    ]
    for target in data.candidates:
        sections.append(
            Section(
                f"partner candidates for '{target.target_name}' (add with `refnet intel "
                f"candidates --target {target.target_id} --add N`)",
                CANDIDATE_COLUMNS,
                candidate_rows(target.candidates, names),
            )
        )
    for club in data.clubs:
        stats = club.stats
        sections.append(
            Section(
                f"suggested introductions in '{club.club_name}' ({stats.suggestions} in all, "
                f"{stats.pairs_compared} of {stats.all_pairs} pairs compared; write them with "
                f"`refnet intel suggest --club {club.club_id} --apply`)",
                SUGGESTION_COLUMNS,
                suggestion_rows(club.suggestions, names),
            )
        )
    sections.append(
        Section(
            "win-win health of strategic partners (flagged first)",
            [
                "partner",
                "stage",
                "given",
                "received",
                "given/received per quarter, oldest first",
                "goals (measured)",
                "flags",
            ],
            [
                (
                    h.name,
                    h.stage,
                    h.given,
                    h.received,
                    " ".join(f"{q.quarter} {q.given}/{q.received}" for q in h.quarters),
                    "\n".join(goal.describe() for check in h.agreements for goal in check.goals)
                    or "-",
                    "\n".join(h.flags) or "ok",
                )
                for h in data.health
            ],
        )
    )
    return sections
