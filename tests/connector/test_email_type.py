"""Member e-mail addresses take a shortcut for everyday addresses; it must never decide
differently from pydantic's EmailStr (email-validator), value or error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import EmailStr, TypeAdapter, ValidationError

from connector.model.base import Email

_OURS: TypeAdapter[str] = TypeAdapter(Email)
_PYDANTIC: TypeAdapter[str] = TypeAdapter(EmailStr)

# Near the shortcut's edges: dots, hyphens, case, digits, special-use and one-letter TLDs,
# Punycode-like labels, overlong parts and characters it leaves to the validator.
_ATOM = st.text(alphabet="aZ09._%+-!#äß", min_size=0, max_size=6)
_LABEL = st.one_of(
    st.text(alphabet="aZ09-", min_size=0, max_size=6),
    st.sampled_from(["xn--bcher-kva", "a--b", "test", "localhost", "example", "Firma-GmbH"]),
    st.just("a" * 64),
)
_TLD = st.sampled_from(["de", "DE", "c", "123", "test", "local", "onion", "com", "x1", "invalid"])


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    local = draw(st.one_of(_ATOM, st.just("a" * 65), st.just('"quoted"')))
    labels = draw(st.lists(_LABEL, min_size=0, max_size=3))
    domain = ".".join([*labels, draw(_TLD)])
    return draw(st.sampled_from(["{}@{}", " {}@{} ", "Max <{}@{}>", "{}@@{}", "{}{}"])).format(
        local, domain
    )


def _outcome(adapter: TypeAdapter[str], value: str) -> object:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        return [(e["type"], e["msg"]) for e in exc.errors()]


@settings(max_examples=500)
@given(value=st.one_of(_addresses(), st.emails(), st.text(max_size=30)))
def test_the_shortcut_decides_as_email_str(value: str) -> None:
    assert _outcome(_OURS, value) == _outcome(_PYDANTIC, value)


def test_everyday_addresses_keep_the_local_part_and_lower_the_domain() -> None:
    assert _OURS.validate_python("Max.Mustermann@Firma-GmbH.DE") == "Max.Mustermann@firma-gmbh.de"
    assert _outcome(_OURS, "max..mustermann@firma.de") == [
        (
            "value_error",
            "value is not a valid email address: An email address cannot have two periods "
            "in a row.",
        )
    ]


@pytest.mark.parametrize(
    "value",
    [
        "max@firma.test",  # special-use names are refused by email-validator
        "max@mail.localhost",
        "max@firma.invalid",
        "max@x.onion",
        "max@firma.example",  # not special-use any more
        "max@xn--bcher-kva.de",  # Punycode: left to the validator
        "max@a--b.de",
        "max@firma.c",  # a one-letter TLD
        "max@firma.123",
        "-max-@firma.de",
        "max.@firma.de",
        "a" * 64 + "@firma.de",
        "a" * 65 + "@firma.de",
        "max@" + "a" * 63 + ".de",
        "max@" + "a" * 64 + ".de",
        "max@" + ".".join(["a" * 60] * 5) + ".de",  # too long as a whole
        "Max Mustermann <max@firma.de>",
        " max@firma.de ",
        "müller@firma.de",
    ],
)
def test_addresses_at_the_shortcuts_edges_decide_as_email_str(value: str) -> None:
    assert _outcome(_OURS, value) == _outcome(_PYDANTIC, value)
