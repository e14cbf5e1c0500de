"""Small SVG charts drawn on the server: horizontal bars and a stage funnel.

No JavaScript and no chart library: an inline SVG that reads without a stylesheet (colours are
attributes; pages may restyle the classes). Every text is escaped; a bar with a link is an SVG
`<a>` (focusable, with an accessible name), so each number leads to the cases behind it. Long
labels are shortened with an ellipsis and shown whole in the tooltip. Tables next to the charts
carry the same numbers for screen readers and printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = 13
CHAR = 7.0  # average width of a character at 13 px in a system sans-serif font
ROW = 30
BAR = 20
TONES = {"accent": "#1f5fa8", "ok": "#067647", "warn": "#b54708", "danger": "#b42318", "muted": "#8792a2"}
INK, MUTED, LINE = "#1d2430", "#5b6573", "#d6dbe3"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as people read it (formatted for the page's language)
    href: str | None = None
    tone: str = "accent"


@dataclass(frozen=True)
class Step:
    """One stage of a funnel: how many reached it, and how many dropped out there."""

    label: str
    value: float
    text: str
    href: str | None = None
    note: str = ""  # e.g. "dropped out: 2"
    note_href: str | None = None


def fit(text: str, width: float) -> str:
    """`text` shortened with an ellipsis to about `width` pixels."""
    limit = max(int(width // CHAR), 4)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link(href: str | None, label: str, body: str) -> str:
    if not href:
        return f"<g>{body}</g>"
    return f'<a href="{escape(href)}" aria-label="{escape(label)}" class="chart-link">{body}</a>'


def _svg(width: int, height: int, title: str, body: list[str], css: str) -> Markup:
    return Markup(  # noqa: S704 - every text below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}" '
        f'font-family="system-ui, Segoe UI, DejaVu Sans, Arial, sans-serif" font-size="{FONT}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def bar_chart(bars: Sequence[Bar], title: str, width: int = 600, label_width: int = 230) -> Markup:
    """Horizontal bars, one per row, longest = largest value; the value is written after the bar."""
    top = 6
    height = top + max(len(bars), 1) * ROW + 6
    value_width = max((len(b.text) for b in bars), default=1) * CHAR + 12
    span = width - label_width - value_width - 8
    largest = max((b.value for b in bars), default=0) or 1
    body = [f'<line x1="{label_width}" y1="{top - 2}" x2="{label_width}" y2="{height - 4}" stroke="{LINE}"/>']
    for i, bar in enumerate(bars):
        y = top + i * ROW
        length = 0 if bar.value <= 0 else max(2.0, span * bar.value / largest)
        colour = TONES.get(bar.tone, TONES["accent"])
        shown = fit(bar.label, label_width - 12)
        inner = (f"<title>{escape(bar.label)}: {escape(bar.text)}</title>"
                 f'<rect x="0" y="{y}" width="{width}" height="{ROW - 2}" fill="transparent" class="chart-hit"/>'
                 f'<text x="{label_width - 8}" y="{y + BAR - 5}" text-anchor="end" fill="{INK}">{escape(shown)}</text>'
                 f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{BAR}" rx="3" fill="{colour}" '
                 f'class="chart-bar chart-{escape(bar.tone)}"/>'
                 f'<text x="{label_width + length + 6:.1f}" y="{y + BAR - 5}" fill="{INK}" font-weight="600">'
                 f"{escape(bar.text)}</text>")
        body.append(_link(bar.href, f"{bar.label}: {bar.text}", inner))
    return _svg(width, height, title, body, "chart-bars")


def funnel_chart(steps: Sequence[Step], title: str, width: int = 640, note_width: int = 150) -> Markup:
    """A funnel: one centred band per stage, as wide as the cases that reached it, drop-outs beside."""
    top, band, gap = 6, 34, 8
    height = top + max(len(steps), 1) * (band + gap)
    area = width - note_width - 10
    largest = max((s.value for s in steps), default=0) or 1
    centre = area / 2
    body = []
    for i, step in enumerate(steps):
        y = top + i * (band + gap)
        length = max(area * 0.18, area * step.value / largest) if step.value > 0 else area * 0.18
        x = centre - length / 2
        fill = TONES["accent"] if step.value > 0 else TONES["muted"]
        label = fit(f"{step.label}: {step.text}", length - 16) if length > 90 else step.text
        inner = (f"<title>{escape(step.label)}: {escape(step.text)}</title>"
                 f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{band}" rx="4" fill="{fill}" '
                 f'class="chart-band"/>'
                 f'<text x="{centre:.1f}" y="{y + band / 2 + 4.5:.1f}" text-anchor="middle" fill="#fff" '
                 f'font-weight="600">{escape(label)}</text>')
        body.append(_link(step.href, f"{step.label}: {step.text}", inner))
        if step.note:
            note = (f'<text x="{area + 10}" y="{y + band / 2 + 4.5:.1f}" fill="{TONES["danger"]}">'
                    f"{escape(fit(step.note, note_width))}</text>")
            body.append(_link(step.note_href, f"{step.label}: {step.note}", note))
    return _svg(width, height, title, body, "chart-funnel")
