"""The referral form: per-member signed links, submissions through the inbox, consent.

No web framework here: :mod:`webhooks.referral_form` serves the page; this package signs
and checks links, keeps the revocation list and applies a submission to the store.
"""

from __future__ import annotations

from connector.referral_form.intake import (
    FormApplied,
    Submission,
    apply_submission,
    submission_event,
    submissions_of,
)
from connector.referral_form.links import (
    FORM_PATH,
    IssuedLink,
    LinkClaims,
    LinkSigner,
    LinkVerdict,
    check_link,
    issue_link,
    revoke_links,
)
from connector.referral_form.settings import ReferralFormSettings, load_referral_form_settings

__all__ = [
    "FORM_PATH",
    "FormApplied",
    "IssuedLink",
    "LinkClaims",
    "LinkSigner",
    "LinkVerdict",
    "ReferralFormSettings",
    "Submission",
    "apply_submission",
    "check_link",
    "issue_link",
    "load_referral_form_settings",
    "revoke_links",
    "submission_event",
    "submissions_of",
]
