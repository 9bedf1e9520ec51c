"""``refnet report --html FILE``: the report as one self-contained HTML page.

One file, no script, no stylesheet or font from elsewhere: the picture is inline SVG and the
styles are inline, so the page opens from a mail attachment or a machine without internet.

The picture shows the referral network: members as circles coloured by circle (customer,
employee, partner, prospect) with an area proportional to their multiplier score, and each
referral as a line from referrer to referred party (green when won). At most
:attr:`IntelligenceConfig.html_max_nodes` members are drawn, those with the most referrals,
so a large network stays readable; the caption says how many were left out.

The page is in the reader's language (``<html lang>`` says which), as the terminal report.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import igraph
from sqlalchemy import select

from connector.i18n import current
from connector.i18n import gettext as _
from connector.intelligence import IntelligenceConfig
from connector.model import Circle, ReferralStatus
from connector.report import NetworkReport, referral_rows
from connector.report_format import day, fixed, number
from connector.report_sections import report_sections
from connector.report_words import value_label
from connector.rules import RulesConfig
from connector.scores import multiplier_scores
from connector.store import Store
from connector.store import schema as tables

__all__ = [
    "CIRCLE_COLOURS",
    "NetworkPicture",
    "PictureMember",
    "PictureReferral",
    "network_picture",
    "render_html",
    "write_html_report",
]

CIRCLE_COLOURS: dict[Circle, str] = {
    Circle.CUSTOMER: "#2f6fb0",
    Circle.EMPLOYEE: "#e07b1f",
    Circle.PARTNER: "#2e9d5b",
    Circle.PROSPECT: "#9a9a9a",
}
_WIDTH, _HEIGHT, _MARGIN = 1100, 720, 40
_LAYOUT_SEED = 7  # a fixed seed: the same network draws the same picture every time
_LABELLED = 12  # names written next to the highest-scoring members only, to stay legible


@dataclass(frozen=True)
class Node:
    member_id: str
    name: str
    circle: Circle
    score: float
    x: float
    y: float

    @property
    def radius(self) -> float:
        # Area grows with the score; members without a score stay visible as small dots.
        return 4.0 + 16.0 * math.sqrt(self.score / 100.0)


@dataclass(frozen=True)
class Edge:
    source: int
    target: int
    won: bool


@dataclass(frozen=True)
class NetworkPicture:
    nodes: list[Node]
    edges: list[Edge]
    left_out: int  # members with referrals who were not drawn


@contextmanager
def _seeded_layout_rng() -> Iterator[None]:
    # igraph's layouts draw from a process-wide generator; pin it for one layout only.
    igraph.set_random_number_generator(random.Random(_LAYOUT_SEED))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


class PictureMember(Protocol):
    """What the picture reads of a member (a record, or a row of its columns)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def circle(self) -> Circle: ...


class PictureReferral(Protocol):
    """What the picture reads of a referral (a record, or a :class:`ReferralRow`)."""

    @property
    def referrer_id(self) -> str: ...
    @property
    def referred_id(self) -> str: ...
    @property
    def status(self) -> ReferralStatus: ...


class _Person(NamedTuple):
    id: str
    name: str
    circle: Circle


def network_picture(
    members: Sequence[PictureMember],
    referrals: Sequence[PictureReferral],
    scores: dict[str, float],
    limit: int,
) -> NetworkPicture:
    """Lay out the ``limit`` members with the most referrals (given or received)."""
    activity: Counter[str] = Counter()
    for referral in referrals:
        activity[referral.referrer_id] += 1
        activity[referral.referred_id] += 1
    by_id = {m.id: m for m in members}
    ranked = sorted(activity, key=lambda m: (-activity[m], -scores.get(m, 0.0), m))
    chosen = [m for m in ranked if m in by_id][:limit]
    index = {member_id: i for i, member_id in enumerate(chosen)}
    edges = [
        Edge(index[r.referrer_id], index[r.referred_id], r.status is ReferralStatus.WON)
        for r in referrals
        if r.referrer_id in index and r.referred_id in index
    ]
    graph: Any = igraph.Graph(n=len(chosen), edges=[(e.source, e.target) for e in edges])
    with _seeded_layout_rng():
        coords = graph.layout_fruchterman_reingold(niter=500).coords if chosen else []
    xs = [c[0] for c in coords] or [0.0]
    ys = [c[1] for c in coords] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0

    def scaled(value: float, low: float, span: float, size: int) -> float:
        return _MARGIN + (value - low) / span * (size - 2 * _MARGIN)

    nodes = [
        Node(
            member_id,
            by_id[member_id].name,
            by_id[member_id].circle,
            scores.get(member_id, 0.0),
            scaled(x, min(xs), span_x, _WIDTH),
            scaled(y, min(ys), span_y, _HEIGHT),
        )
        for member_id, (x, y) in zip(chosen, coords, strict=True)
    ]
    return NetworkPicture(nodes, edges, len([m for m in ranked if m in by_id]) - len(chosen))


def _svg(picture: NetworkPicture) -> str:
    label = escape(_("referral network"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="network" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}" role="img" '
        f'aria-label="{label}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#888"/></marker></defs>',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="#fcfcfa"/>',
        '<g class="referrals">',
    ]
    for edge in picture.edges:
        a, b = picture.nodes[edge.source], picture.nodes[edge.target]
        length = math.hypot(b.x - a.x, b.y - a.y) or 1.0
        # Stop the line at the target's rim so the arrowhead stays visible.
        end_x = b.x - (b.x - a.x) * b.radius / length
        end_y = b.y - (b.y - a.y) * b.radius / length
        colour, opacity = ("#2e9d5b", 0.75) if edge.won else ("#888888", 0.45)
        parts.append(
            f'<line x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{end_x:.1f}" y2="{end_y:.1f}" '
            f'stroke="{colour}" stroke-opacity="{opacity}" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
        )
    parts.append('</g><g class="members">')
    for node in sorted(picture.nodes, key=lambda n: n.score):  # big ones on top
        title = _("{name} ({circle}), multiplier score {score}").format(
            name=node.name, circle=value_label(node.circle.value), score=fixed(node.score, 1)
        )
        parts.append(
            f'<circle class="member {node.circle.value}" cx="{node.x:.1f}" cy="{node.y:.1f}" '
            f'r="{node.radius:.1f}" fill="{CIRCLE_COLOURS[node.circle]}" fill-opacity="0.85" '
            f'stroke="#ffffff" stroke-width="1"><title>{escape(title)}</title></circle>'
        )
    parts.append('</g><g class="labels">')
    for node in sorted(picture.nodes, key=lambda n: (-n.score, n.member_id))[:_LABELLED]:
        if node.score > 0:
            parts.append(
                f'<text x="{node.x + node.radius + 3:.1f}" y="{node.y + 4:.1f}">'
                f"{escape(node.name)}</text>"
            )
    parts.append("</g></svg>")
    return "".join(parts)


def _legend() -> str:
    items = "".join(
        f'<span class="key"><span class="dot" style="background:{colour}"></span>'
        f"{escape(value_label(circle.value))}</span>"
        for circle, colour in CIRCLE_COLOURS.items()
    )
    won, other = escape(_("won referral")), escape(_("other referral"))
    area = escape(_("circle area: multiplier score"))
    return (
        f'<p class="legend">{items}<span class="key"><span class="line won"></span>{won}</span>'
        f'<span class="key"><span class="line"></span>{other}</span>'
        f'<span class="key">{area}</span></p>'
    )


def _cell(value: Any) -> str:
    # Cells hold one line per item in the terminal; the page keeps those lines apart.
    return "<br>".join(escape(line) for line in ("" if value is None else str(value)).split("\n"))


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    if not body:
        none = escape(_("none"))
        body = f'<tr><td colspan="{len(columns)}" class="none">{none}</td></tr>'
    return (
        f"<section><h2>{escape(title)}</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e3e3;
  vertical-align: top; }
th { background: #f3f3f0; } td.none { color: #888; }
svg#network { border: 1px solid #ddd; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #222; paint-order: stroke;
  stroke: #fff; stroke-width: 3px; }
.legend .key { margin-right: 18px; white-space: nowrap; }
.legend .dot { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  margin-right: 5px; vertical-align: -1px; }
.legend .line { display: inline-block; width: 22px; height: 2px; background: #888;
  margin-right: 5px; vertical-align: 3px; }
.legend .line.won { background: #2e9d5b; }
.caption { color: #666; }
"""


def render_html(report: NetworkReport, picture: NetworkPicture, *, note: str | None = None) -> str:
    """The whole page: the network picture and every table the terminal report prints."""
    sections = [_table(s.title, s.columns, s.rows) for s in report_sections(report)]
    caption = _("{members} members with the most referrals, {referrals} referrals").format(
        members=number(len(picture.nodes)), referrals=number(len(picture.edges))
    )
    if picture.left_out:
        caption += _("; {left_out} more members with referrals not drawn").format(
            left_out=number(picture.left_out)
        )
    on = day(report.as_of.date())
    title = escape(_("refnet report {day}").format(day=on))
    heading = escape(_("refnet report on {day}").format(day=on))
    network = escape(_("referral network"))
    return (
        f'<!DOCTYPE html>\n<html lang="{current().code}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{heading}</h1>"
        + (f'<p class="caption">{escape(note)}</p>' if note else "")
        + f"<section><h2>{network}</h2>{_legend()}{_svg(picture)}"
        f'<p class="caption">{escape(caption)}</p></section>'
        + "".join(sections)
        + "</body></html>\n"
    )


def write_html_report(
    path: Path,
    report: NetworkReport,
    store: Store,
    rules: RulesConfig,
    config: IntelligenceConfig,
    *,
    note: str | None = None,
) -> None:
    """Render ``report`` with a picture of the store's referral network into ``path``.

    ``note`` is printed under the heading (what a report as of a past day takes as it is now).
    """
    # Rows, not records: at 100,000 members and 200,000 referrals, validated records of
    # both were most of the page's time and memory, and the picture reads three fields.
    table = tables.members
    with store.reading() as tx:
        rows = tx.connection.execute(select(table.c.id, table.c.name, table.c.circle))
        members = [_Person(row.id, row.name, Circle(row.circle)) for row in rows]
        referrals = list(referral_rows(tx.connection))
    scores = {
        s.member_id: s.score
        for s in multiplier_scores(
            referrals, rules.multiplier, as_of=report.as_of, money=report.money
        )
    }
    picture = network_picture(members, referrals, scores, config.html_max_nodes)
    path.write_text(render_html(report, picture, note=note), encoding="utf-8")
