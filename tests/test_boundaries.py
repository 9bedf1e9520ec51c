"""The package boundaries hold: the domain imports no vendor SDK and no web framework.

Walks every module's import statements (static, so a lazy import inside a function counts).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR_SDKS = {"simple_salesforce", "hubspot", "zeep", "urllib3", "requests"}
WEB = {"flask", "werkzeug", "gunicorn"}

FORBIDDEN: dict[str, set[str]] = {
    "connector": VENDOR_SDKS | WEB | {"adapters", "webhooks"},
    "mappings": VENDOR_SDKS | WEB | {"adapters", "webhooks"},
    "webhooks": VENDOR_SDKS,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_it_must_not(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package]) for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_walker_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import hubspot.crm\n    from flask import Flask\n")
    assert _imports(module) == {"hubspot", "flask"}
