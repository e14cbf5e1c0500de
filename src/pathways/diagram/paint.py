"""Colours and stroke widths, as presentation attributes rather than a stylesheet.

Attributes survive every way the SVG is used (inline in a page, as <img>, converted to PNG or
PDF); pages can still override them with CSS through the classes on each group.
"""

from __future__ import annotations

from dataclasses import dataclass

INK = "#22242a"
MUTED = "#5b6270"
PAPER = "#ffffff"
HIGHLIGHT = "#1d4ed8"
HIGHLIGHT_FILL = "#dbeafe"


@dataclass(frozen=True)
class Paint:
    stroke: str = INK
    fill: str = PAPER
    width: float = 1.5
    text: str = INK


NORMAL = Paint()
EMPHASIS = Paint(stroke=HIGHLIGHT, fill=HIGHLIGHT_FILL, width=3, text="#0b2a78")


def paint_for(highlighted: bool) -> Paint:
    return EMPHASIS if highlighted else NORMAL
