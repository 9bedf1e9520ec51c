"""Every text of the referral form page, marked for the gettext catalog.

Our users' customers and partners are mostly German, so German is the default; a browser
that prefers English gets English. The page reads its words only through
:func:`form_texts`, in the language of the request (``webhooks.referral_form`` chooses it
per request from ``Accept-Language``), never in the language of the server process.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from connector.i18n import translations

__all__ = ["DEFAULT_LANGUAGE", "FORM_LANGUAGES", "consent_text", "form_texts"]

# The customers' customers are German: without a stated preference the page is German.
DEFAULT_LANGUAGE = "de"
FORM_LANGUAGES = ("de", "en")


@cache
def form_texts(language: str) -> Mapping[str, str]:
    """The page's words in ``language`` (one of :data:`FORM_LANGUAGES`)."""
    if language not in FORM_LANGUAGES:
        raise ValueError(f"the referral form speaks {', '.join(FORM_LANGUAGES)}, not {language!r}")
    _ = translations(language).gettext
    # Stored verbatim with every submission: what the person agreed to, in the words shown.
    consent = _(
        "I confirm that the person I recommend agrees that I pass on their contact details "
        "and that the company contacts them about this recommendation. The data are stored "
        "for this purpose only and deleted on request."
    )
    return MappingProxyType(
        {
            "lang": language,
            "title": _("Recommend someone"),
            "intro": _(
                "Do you know someone we can help? We are glad of your recommendation and "
                "will contact the person you recommend in confidence."
            ),
            "recommended_by": _("Recommended by"),
            "name": _("Name"),
            "company": _("Company"),
            "email": _("Email address"),
            "phone": _("Phone (optional)"),
            "note": _("Your message to us (optional)"),
            "consent": consent,
            "submit": _("Send recommendation"),
            "required": _("Please fill this in."),
            "email_invalid": _("Please enter a valid email address."),
            "too_long": _("This entry is too long."),
            "phone_invalid": _("Please use only digits, spaces and + ( ) / -."),
            "consent_required": _("Without this consent we cannot accept the recommendation."),
            "errors_intro": _("Please check the marked fields."),
            "thanks_title": _("Thank you for your recommendation!"),
            "thanks_body": _(
                "We have received your recommendation and will contact the person you "
                "recommend shortly."
            ),
            "invalid_title": _("This link is not valid"),
            "invalid_body": _("Please use the complete link you received from us."),
            "expired_title": _("This link has expired"),
            "expired_body": _("Please ask your contact person for a new link."),
            "revoked_title": _("This link is no longer valid"),
            "revoked_body": _(
                "It has been withdrawn. Please ask your contact person for a new link."
            ),
            "csrf_title": _("The form has expired"),
            "csrf_body": _(
                "For security reasons we cannot accept it. Please reload the page and send "
                "your recommendation again."
            ),
            "limited_title": _("Too many recommendations in a short time"),
            "limited_body": _("Please try again later."),
            "unavailable_title": _("Not reachable right now"),
            "unavailable_body": _(
                "Your recommendation could not be saved. Please try again in a few minutes."
            ),
            "footer": _("Your details are transmitted encrypted."),
        }
    )


def consent_text(language: str) -> str:
    """The consent the form shows in ``language``, as stored with a submission."""
    return form_texts(language)["consent"]
