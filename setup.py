"""Compile the translation catalogs into every build (pyproject.toml holds the rest)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).parent / "connector" / "locale"


class BuildWithCatalogs(build_py):
    """``build_py`` that writes each ``.mo`` beside its ``.po`` before copying package data."""

    def run(self) -> None:
        for po_file in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
            with po_file.open("rb") as stream:
                catalog = read_po(stream, locale=po_file.parent.parent.name)
            with po_file.with_suffix(".mo").open("wb") as stream:
                write_mo(stream, catalog)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
