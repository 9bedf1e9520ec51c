"""pydantic's validation messages in the reader's language.

pydantic writes its messages in English from templates keyed by an error ``type`` code
(``missing`` → "Field required", ``greater_than`` → "Input should be greater than {gt}").
Rather than keeping a table of our own, the English template pydantic-core itself holds for
a type (:class:`pydantic_core.PydanticKnownError`) is the catalog's message id, in the
context ``validation``; the German catalog translates it with the same placeholders, filled
from the error's own context. A template the catalog does not translate prints as pydantic
wrote it, so English output is exactly pydantic's and an unknown type is never lost.

Refnet's own validators raise ``ValueError`` with a message already translated (they run in
the reader's process); pydantic wraps it as "Value error, {error}", which German shortens to
the message itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticKnownError

from connector.i18n import gettext as _
from connector.i18n import pgettext

__all__ = [
    "catalogued",
    "catalogued_details",
    "validation_message",
    "validation_problems",
]

CONTEXT = "validation"


def catalogued() -> tuple[str, ...]:
    """The templates refnet's users meet (import rows, settings, CRM records), in the current
    language; written out so that Babel's extractor puts them in the catalog. Each is
    pydantic-core's own text, checked against pydantic-core by
    tests/test_validation_messages.py so a pydantic upgrade cannot drift from the catalog."""
    return (
        pgettext("validation", "Field required"),
        pgettext("validation", "Extra inputs are not permitted"),
        pgettext("validation", "Input should be a valid string"),
        pgettext("validation", "Input should be a valid integer"),
        pgettext(
            "validation", "Input should be a valid integer, unable to parse string as an integer"
        ),
        pgettext(
            "validation", "Input should be a valid integer, got a number with a fractional part"
        ),
        pgettext("validation", "Input should be a valid number"),
        pgettext(
            "validation", "Input should be a valid number, unable to parse string as a number"
        ),
        pgettext("validation", "Input should be a valid decimal"),
        pgettext("validation", "Input should be a finite number"),
        pgettext("validation", "Input should be a valid boolean"),
        pgettext("validation", "Input should be a valid boolean, unable to interpret input"),
        pgettext("validation", "Input should be greater than {gt}"),
        pgettext("validation", "Input should be greater than or equal to {ge}"),
        pgettext("validation", "Input should be less than {lt}"),
        pgettext("validation", "Input should be less than or equal to {le}"),
        pgettext("validation", "Input should be {expected}"),
        pgettext("validation", "String should match pattern '{pattern}'"),
        pgettext("validation", "Input should be a valid list"),
        pgettext("validation", "Input should be a valid dictionary"),
        pgettext("validation", "Input should be a valid date"),
        pgettext("validation", "Input should be a valid date in the format YYYY-MM-DD, {error}"),
        pgettext("validation", "Input should be a valid date or datetime, {error}"),
        pgettext("validation", "Input should be a valid datetime"),
        pgettext("validation", "Input should be a valid datetime, {error}"),
        pgettext("validation", "Input should be a valid datetime or date, {error}"),
        pgettext("validation", "Input should have timezone info"),
        pgettext("validation", "Value error, {error}"),
        pgettext("validation", "Assertion failed, {error}"),
    )


def validation_message(problem: ErrorDetails) -> str:
    """One pydantic error's message in the current language (its ``loc`` is not included)."""
    context: Mapping[str, Any] = problem.get("ctx") or {}
    try:
        # The type code is a string here; pydantic-core refuses one it does not know.
        error_type: Any = problem["type"]
        template = PydanticKnownError(error_type, dict(context) or None).message_template
    except (KeyError, TypeError, ValueError):
        # A custom error type (PydanticCustomError) has no known template: keep its text.
        return problem["msg"]
    translated = pgettext(CONTEXT, template)
    if translated == template:
        return problem["msg"]  # English, or a template the catalog does not translate
    values = {key: _readable(key, value) for key, value in context.items()}
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):  # a template whose context changed: say it
        return problem["msg"]


def validation_problems(error: ValidationError) -> list[tuple[tuple[int | str, ...], str]]:
    """Every problem of a ValidationError as (location, message in the current language)."""
    return [
        (tuple(problem["loc"]), validation_message(problem))
        for problem in error.errors(include_url=False, include_input=False)
    ]


def _readable(key: str, value: object) -> str:
    # pydantic joins the allowed values of an enum or literal as "'a', 'b' or 'c'".
    text = str(value)
    if key == "expected" and " or " in text:
        head, last = text.rsplit(" or ", 1)
        return _("{choices} or {last}").format(choices=head, last=last)
    if key == "error" and isinstance(value, str):
        # A date or time parser's detail ("input is too short"): text, not an exception.
        return pgettext("validation", text)
    return text


def catalogued_details() -> tuple[str, ...]:
    """The date and time parser's details (pydantic-core's speedate) readers meet most."""
    return (
        pgettext("validation", "input is too short"),
        pgettext("validation", "invalid character in year"),
        pgettext("validation", "month value is outside expected range of 1-12"),
        pgettext("validation", "day value is outside expected range"),
        pgettext("validation", "hour value is outside expected range of 0-23"),
        pgettext("validation", "minute value is outside expected range of 0-59"),
        pgettext("validation", "unexpected extra characters at the end of the input"),
        pgettext("validation", "invalid datetime separator, expected `T`, `t`, `_` or space"),
    )
