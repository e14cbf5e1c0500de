"""Labels outside their shape: events, gateways, data, and flows.

A modeller stores where it put each label (BPMNLabel bounds); we honour that. When it did not,
the label goes centred under the shape, where bpmn-js and most tools put it by default.
"""

from __future__ import annotations

from pathways.diagram.model import Bounds
from pathways.diagram.paint import Paint
from pathways.diagram.svg import Node
from pathways.diagram.text import Fitted, fit, longest_piece, text_node, width

LABEL_SIZE = 11
LABEL_WIDTH = 90  # bpmn-js wraps external labels at 90 px; its bounds are often narrower
MAX_LINES = 4
# A white outline behind the letters keeps a label legible where a flow runs through it.
HALO: dict[str, str | float | None] = {
    "stroke": "#ffffff", "stroke_width": 3, "stroke_linejoin": "round", "paint_order": "stroke",
}


def stored_limit(stored: Bounds) -> float:
    """Wrap width for a label with DI bounds.

    A one-line box means the modeller measured the text on one line in its own font: allow a
    little more than its width rather than wrap into a second line it did not plan room for.
    """
    one_line = stored.h < 1.8 * LABEL_SIZE * 1.2
    return max(stored.w * (1.2 if one_line else 1.0), LABEL_WIDTH)


def fit_label(name: str, limit: float) -> Fitted:
    """Outside a shape there is no box to respect: widen for a long word rather than split it."""
    limit = max(limit, min(longest_piece(name, LABEL_SIZE), 2 * limit))
    return fit(name, limit, MAX_LINES * LABEL_SIZE * 1.2, sizes=(LABEL_SIZE, LABEL_SIZE - 1))


def block(fitted: Fitted, cx: float, top: float) -> Bounds:
    """The rectangle a centred label occupies (for fitting the viewBox)."""
    span = max((width(line, fitted.size) for line in fitted.lines), default=0)
    return Bounds(cx - span / 2, top, span, fitted.height)


def external_label(name: str, shape: Bounds, stored: Bounds | None, paint: Paint) -> tuple[Node | None, Bounds]:
    """The label node (or None) and the area it covers, joined with the shape's own bounds."""
    if not name:
        return None, shape
    if stored is not None:
        fitted = fit_label(name, stored_limit(stored))
        cx, top = stored.cx, stored.y + max(0.0, (stored.h - fitted.height) / 2)
    else:
        fitted = fit_label(name, max(shape.w, LABEL_WIDTH))
        cx, top = shape.cx, shape.bottom + 6
    node = text_node(fitted, cx, top, class_="bpmn-label", fill=paint.text, **HALO)
    return node, shape.union(block(fitted, cx, top))
