"""The enum labels are built once per language and follow a change of language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector import i18n
from connector.report_words import value_label


@pytest.fixture(autouse=True)
def environment_language() -> Iterator[None]:
    yield
    i18n.set_language(None)


def test_labels_follow_the_language_they_are_asked_in() -> None:
    spoken = []
    for code in ("de", "en", "de"):
        i18n.set_language(code)
        spoken.append((value_label("won"), value_label("customer"), value_label("custom-x")))
    assert spoken == [
        ("gewonnen", "Kunde", "custom-x"),
        ("won", "customer", "custom-x"),
        ("gewonnen", "Kunde", "custom-x"),
    ]
