"""Badges: small pills on a shape's top-right corner (open, completed, overdue counts, ...).

They are drawn in their own top layer, after every shape and flow, so a neighbouring shape or a
crossing flow can never hide a number a supervisor is looking for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pathways.diagram.model import Bounds
from pathways.diagram.svg import Node
from pathways.diagram.text import fit, text_node, width

TONES: dict[str, str] = {
    "info": "#1d4ed8",
    "ok": "#15803d",
    "warn": "#b45309",
    "danger": "#b91c1c",
}
SIZE = 10
HEIGHT = 16
PAD = 5
GAP = 3
MAX_TEXT = 120


@dataclass(frozen=True)
class Badge:
    """One pill; `tone` is info, ok, warn or danger (colour and CSS class)."""

    text: str
    tone: str = "info"

    def __post_init__(self) -> None:
        if self.tone not in TONES:
            raise ValueError(f"badge tone must be one of {', '.join(TONES)}, not {self.tone!r}")


def _pill(badge: Badge, right: float, cy: float) -> tuple[Node, float]:
    fitted = fit(badge.text, MAX_TEXT, HEIGHT, sizes=(SIZE,))
    line = fitted.lines[0] if fitted.lines else ""
    span = width(line, SIZE) + 2 * PAD
    x = right - span
    node = Node("g", class_=f"bpmn-badge bpmn-badge-{badge.tone}")
    node.add(
        Node("rect", x=x, y=cy - HEIGHT / 2, width=span, height=HEIGHT, rx=HEIGHT / 2, ry=HEIGHT / 2,
             fill=TONES[badge.tone], stroke="#ffffff", stroke_width=1.5),
        text_node(fitted.__class__([line], SIZE, fitted.truncated), x + span / 2, cy - SIZE * 0.6, fill="#ffffff",
                  font_weight="bold"),
    )
    return node, span


def draw_badges(element_id: str, bounds: Bounds, badges: Sequence[Badge]) -> tuple[Node, Bounds]:
    """Pills laid out right to left from the corner, so the first badge ends up leftmost."""
    layer = Node("g", class_="bpmn-badges", data_badges_for=element_id)
    right = bounds.right + 6
    cy = bounds.y
    pills: list[Node] = []
    for badge in reversed(badges):
        pill, span = _pill(badge, right, cy)
        pills.append(pill)
        right -= span + GAP
    layer.extend(reversed(pills))
    left = right + GAP
    return layer, Bounds(left, cy - HEIGHT / 2 - 1, bounds.right + 7 - left, HEIGHT + 2)
