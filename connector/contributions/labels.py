"""The kinds of contribution as people read them (translated), for tables and reports."""

from __future__ import annotations

from connector.i18n import gettext as _
from connector.model import ContributionKind

__all__ = ["kind_label"]


def kind_label(kind: ContributionKind | str) -> str:
    """``joint event`` (German: ``gemeinsame Veranstaltung``) for ``joint_event``.

    Only for people: --json output keeps the language-neutral value.
    """
    labels = {
        ContributionKind.INTRODUCTION: _("introduction"),
        ContributionKind.JOINT_EVENT: _("joint event"),
        ContributionKind.FAVOUR: _("favour"),
        ContributionKind.REWARD: _("reward"),
        ContributionKind.REFERRAL: _("referral"),
    }
    return labels.get(ContributionKind(kind), str(kind))
