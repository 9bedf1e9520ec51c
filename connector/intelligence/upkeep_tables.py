"""Step-1 coverage and cooling relationships as titled tables, for every renderer (issue #18).

The terminal report and the HTML page both take these through
:mod:`connector.report_sections`, so they show the same figures.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from connector.i18n import format_date, format_number, ngettext
from connector.i18n import gettext as _
from connector.intelligence.upkeep import UpkeepAnalysis
from connector.report_table import Section

__all__ = ["coverage_headline", "upkeep_tables"]


def coverage_headline(upkeep: UpkeepAnalysis) -> str:
    """``7 of 9 employees delivered their network; missing: Jana Busch, Tim Vogt``."""
    delivered, total = len(upkeep.delivered), len(upkeep.employees)
    text = ngettext(
        "{delivered} of {total} employee delivered their network",
        "{delivered} of {total} employees delivered their network",
        total,
    ).format(delivered=format_number(delivered), total=format_number(total))
    if upkeep.missing:
        text += _("; missing: {names}").format(names=", ".join(e.name for e in upkeep.missing))
    return text


def upkeep_tables(upkeep: UpkeepAnalysis, names: dict[str, str]) -> list[Section]:
    months = upkeep.cooling_after_months
    coverage = Section(
        _("step 1 coverage: {headline}").format(headline=coverage_headline(upkeep)),
        [
            _("employee"),
            _("delivered"),
            _("last recorded"),
            _("connections"),
            _("strong"),
            _("cooling"),
            _("strong, no contact date"),
        ],
        [
            (
                e.name,
                _("yes") if e.delivered else _("no"),
                format_date(e.delivered_on) if e.delivered_on else "-",
                format_number(e.connections),
                format_number(e.strong),
                format_number(e.cooling),
                format_number(e.undated_strong),
            )
            for e in upkeep.employees
        ],
    )
    cooling = Section(
        ngettext(
            "cooling relationships: strong, no contact for {months} month ({total} in all)",
            "cooling relationships: strong, no contact for {months} months ({total} in all)",
            months,
        ).format(months=months, total=format_number(upkeep.cooling_total)),
        [_("employee"), _("contact"), _("strength"), _("last contact"), _("months without")],
        [
            (
                names.get(t.employee_id, t.employee_id),
                names.get(t.member_id, t.member_id),
                t.strength,
                format_date(t.last_contact_on),
                format_number(_months_between(t.last_contact_on, upkeep.as_of)),
            )
            for t in upkeep.cooling
        ],
    )
    return [coverage, cooling]


def _months_between(start: date, end: date) -> int:
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months
