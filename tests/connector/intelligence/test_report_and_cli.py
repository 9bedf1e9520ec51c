"""The intelligence sections of ``refnet report``, the HTML page, and ``refnet intel``."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.model import Circle
from connector.report_html import CIRCLE_COLOURS
from tests.conftest import SAMPLE_DIR

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
AS_OF = "2026-11-20"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    result = invoke("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES))
    assert result.exit_code == 0, result.output
    return invoke


def test_the_report_has_a_section_for_each_measure(run) -> None:  # type: ignore[no-untyped-def]
    text = run("report", "--top", "3", "--as-of", AS_OF)
    assert text.exit_code == 0, text.output
    for title in (
        "company network",
        "employee networks",
        "overlap between employees",
        "contacts nobody has activated yet",
        "top connectors",
        "partner candidates for 'Regionaler Multiplikator'",
        "suggested introductions in 'Weber Kundenclub'",
        "win-win health of strategic partners",
    ):
        assert title in text.stdout, title
    data = json.loads(run("report", "--json", "--top", "3", "--as-of", AS_OF).stdout)
    intel = data["intelligence"]
    # 11 employees: Jana Busch (issue #18) joined in October 2026 with no network yet.
    assert intel["analysis"]["company"]["employees"] == 11
    assert [e["name"] for e in intel["upkeep"]["employees"] if not e["connections"]] == [
        "Jana Busch"
    ]
    assert len(intel["analysis"]["employees"]) == 3
    assert {c["score"]["member_id"][:7] for c in intel["connectors"]} <= {"mem-cus", "mem-par"}
    candidates = {t["target_id"]: t["candidates"] for t in intel["candidates"]}
    assert set(candidates) == {"tp-multiplier", "tp-supplier"}
    best = candidates["tp-multiplier"][0]
    assert best["match"]["score"] >= candidates["tp-multiplier"][1]["match"]["score"]
    assert {c["name"] for c in best["match"]["criteria"]} == {
        "industry",
        "region",
        "offers",
        "reach",
    }
    (club,) = intel["clubs"]
    assert club["stats"]["pairs_compared"] < club["stats"]["all_pairs"]
    assert all(h["flags"] for h in intel["health"][:1])


class _Page(HTMLParser):
    """Collects what the test checks: tags, attributes of circles and lines, headings."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.circles: list[dict[str, str | None]] = []
        self.lines = 0
        self.headings: list[str] = []
        self.external: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "circle":
            self.circles.append(values)
        elif tag == "line":
            self.lines += 1
        elif tag == "h2":
            self._in_h2 = True
        for name in ("src", "href"):
            if values.get(name) and not str(values[name]).startswith("#"):
                self.external.append(str(values[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings.append(data)


def test_report_html_is_one_self_contained_page_with_the_network_picture(
    run,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.html"
    result = run("report", "--top", "3", "--as-of", AS_OF, "--html", str(target))
    assert result.exit_code == 0, result.output
    page = _Page()
    page.feed(target.read_text(encoding="utf-8"))
    assert page.tags.count("svg") == 1
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert page.external == []  # nothing loaded from elsewhere
    # 150 members drawn (the configured limit), coloured by circle, sized by score.
    assert len(page.circles) == 150
    for circle in page.circles:
        kind = str(circle["class"]).split()[1]
        assert circle["fill"] == CIRCLE_COLOURS[Circle(kind)]
    radii = {float(str(c["r"])) for c in page.circles}
    assert min(radii) == 4.0 and max(radii) > 15  # score 0 is a dot, multipliers are large
    assert page.lines > 100  # referrals among the drawn members
    for heading in ("referral network", "top multipliers", "top connectors outside the company"):
        assert any(h.startswith(heading) for h in page.headings), heading
    assert any(h.startswith("partner candidates for") for h in page.headings)
    assert any(h.startswith("win-win health of strategic partners") for h in page.headings)


def _terminal_titles(output: str) -> list[str]:
    """The title of every table the terminal printed: the lines above a table's top edge.

    Rich wraps a title to its table's width, at spaces, so the lines are joined by one.
    """
    lines = output.splitlines()
    titles = []
    for number, line in enumerate(lines):
        if line.startswith("┏"):
            title: list[str] = []
            for above in reversed(lines[:number]):
                if not above.strip() or above[0] in "└│┃┡┗":
                    break
                title.insert(0, above.strip())
            titles.append(" ".join(title))
    return titles


def test_the_html_page_shows_every_section_the_terminal_report_prints(
    run,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "report.html"
    text = run("report", "--top", "3", "--as-of", AS_OF, "--html", str(target))
    assert text.exit_code == 0, text.output
    titles = _terminal_titles(text.stdout)
    # The sections issue #17 found missing from the page, among the ones the terminal prints.
    for wanted in ("proposed demotions", "win-win balance per pair", "goal agreements"):
        assert any(t.startswith(wanted) for t in titles), wanted
    assert len(titles) >= 15
    page = _Page()
    page.feed(target.read_text(encoding="utf-8"))
    missing = [title for title in titles if title not in page.headings]
    assert missing == []


def test_intel_candidates_add_feeds_the_pipeline(run) -> None:  # type: ignore[no-untyped-def]
    def ranked() -> list[dict[str, object]]:
        result = run("intel", "candidates", "--target", "tp-supplier", "--top", "500", "--json")
        return json.loads(result.stdout)["candidates"]  # type: ignore[no-any-return]

    before = ranked()
    expected = [
        c["member_id"]
        for c in before
        if c["partnership_stage"] is None and c["match"]["score"] >= 20  # type: ignore[index,operator]
    ][:2]
    assert len(expected) == 2
    result = run(
        "intel", "candidates", "--target", "tp-supplier", "--add", "2", "--min-score", "20",
        "--json",
    )  # fmt: skip
    added = json.loads(result.stdout)["added"]
    assert [(c["kind"], c["old"], c["new"]) for c in added] == [
        ("partnership", None, "analysis")
    ] * 2
    stages = {c["member_id"]: c["partnership_stage"] for c in ranked()}
    assert [stages[m] for m in expected] == ["analysis", "analysis"]
    text = run("intel", "candidates", "--target", "tp-supplier", "--add", "1", "--min-score", "99")
    assert "nothing added" in text.stdout


def test_intel_suggest_previews_then_applies_once(run) -> None:  # type: ignore[no-untyped-def]
    preview = json.loads(run("intel", "suggest", "--json").stdout)
    assert preview["suggestions"] and preview["written"] == []
    applied = json.loads(run("intel", "suggest", "--apply", "--json").stdout)
    assert len(applied["written"]) == len(preview["suggestions"])
    again = json.loads(run("intel", "suggest", "--apply", "--json").stdout)
    written_pairs = {(s["match"]["a"], s["match"]["b"]) for s in preview["suggestions"]}
    assert not {(s["match"]["a"], s["match"]["b"]) for s in again["suggestions"]} & written_pairs
    text = run("intel", "suggest")
    assert "pairs compared of" in text.stdout


def test_intel_errors_are_clear_and_exit_with_their_codes(run) -> None:  # type: ignore[no-untyped-def]
    missing = run("intel", "candidates", "--target", "tp-none")
    assert missing.exit_code == 4
    assert "target_profile 'tp-none' not found" in missing.stderr
    club = run("intel", "suggest", "--club", "club-none")
    assert club.exit_code == 4
    # The target is named like every member argument (id, e-mail, name or company): one
    # that fits nobody is not found (#17).
    unknown = run("intel", "path", "mem-none")
    assert unknown.exit_code == 4
    assert "member 'mem-none' not found" in unknown.stderr
    not_employee = run("intel", "path", "mem-cus-001", "--from", "mem-cus-002")
    assert not_employee.exit_code == 3
    assert "is not an employee" in not_employee.stderr


def test_intel_path_and_connectors_print_what_they_found(run) -> None:  # type: ignore[no-untyped-def]
    found = json.loads(run("intel", "path", "mem-pro-099", "--json").stdout)["path"]
    assert found["source_id"].startswith("mem-emp-")
    assert found["target_id"] == "mem-pro-099"
    assert 0 < found["quality"] <= 0.9
    ranked = json.loads(run("intel", "connectors", "--top", "3", "--json").stdout)
    assert [c["rank"] for c in ranked] == [1, 2, 3]
    assert ranked[0]["score"]["bridge"] == 1.0


def test_intelligence_settings_come_from_the_environment(
    run,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "exact betweenness" in run("intel", "connectors").stdout
    monkeypatch.setenv("REFNET_INTELLIGENCE__CONNECTOR__EXACT_LIMIT", "10")
    assert "sampled betweenness" in run("intel", "connectors").stdout
    monkeypatch.setenv("REFNET_INTELLIGENCE__CANDIDATE_STAGE", "contact")
    refused = run("intel", "connectors")
    assert refused.exit_code == 6
    assert "intelligence.candidate_stage" in refused.stderr
