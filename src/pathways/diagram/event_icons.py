"""Markers inside event circles and gateway diamonds.

Event markers are drawn for an 18-unit radius around (0, 0) and scaled into the circle, so events
that tools size differently keep proportionate markers. Throwing events get filled markers,
catching events outlined ones, as the BPMN notation asks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pathways.diagram.icons import envelope
from pathways.diagram.svg import Node, num, path, points

Marker = Callable[[str, str], list[Node]]  # (ink, fill) -> nodes


def _polygon(pairs: list[tuple[float, float]], ink: str, fill: str) -> list[Node]:
    return [Node("polygon", points=points(pairs), fill=fill, stroke=ink, stroke_width=1.2, stroke_linejoin="round")]


def _timer(ink: str, fill: str) -> list[Node]:
    face = Node("circle", cx=0, cy=0, r=10.5, fill="#ffffff", stroke=ink, stroke_width=1.5)
    ticks = " ".join(
        f"M{num(8 * math.cos(a))},{num(8 * math.sin(a))} L{num(10 * math.cos(a))},{num(10 * math.sin(a))}"
        for a in (i * math.pi / 6 for i in range(12))
    )
    return [face, path(ticks, stroke=ink, stroke_width=1), path("M0,0 L0,-7 M0,0 L5,2", stroke=ink, stroke_width=1.5)]


def _message(ink: str, fill: str) -> list[Node]:
    return envelope(-9, -6.5, 18, 13, ink, filled=fill != "#ffffff")


def _signal(ink: str, fill: str) -> list[Node]:
    return _polygon([(0, -10), (9, 6.5), (-9, 6.5)], ink, fill)


def _error(ink: str, fill: str) -> list[Node]:
    return _polygon([(-9, 9), (-4, -9), (2, 2), (9, -9), (4, 9), (-2, -2)], ink, fill)


def _escalation(ink: str, fill: str) -> list[Node]:
    return _polygon([(0, -10), (8, 9), (0, 2), (-8, 9)], ink, fill)


def _conditional(ink: str, fill: str) -> list[Node]:
    sheet = Node("rect", x=-7, y=-9, width=14, height=18, fill="#ffffff", stroke=ink, stroke_width=1.2)
    lines = path("M-4,-5 h8 M-4,-1 h8 M-4,3 h8 M-4,7 h8", stroke=ink, stroke_width=1.2)
    return [sheet, lines]


def _terminate(ink: str, fill: str) -> list[Node]:
    return [Node("circle", cx=0, cy=0, r=11, fill=ink, stroke=ink)]


def _link(ink: str, fill: str) -> list[Node]:
    return _polygon([(-9, -3.5), (1, -3.5), (1, -8), (9, 0), (1, 8), (1, 3.5), (-9, 3.5)], ink, fill)


def _compensate(ink: str, fill: str) -> list[Node]:
    return _polygon([(-10, 0), (-1, -6.5), (-1, 6.5)], ink, fill) + _polygon([(-1, 0), (8, -6.5), (8, 6.5)], ink, fill)


def _cancel(ink: str, fill: str) -> list[Node]:
    return [path("M-7,-7 L7,7 M7,-7 L-7,7", stroke=ink, stroke_width=4)]


def pentagon(radius: float) -> list[tuple[float, float]]:
    return [(radius * math.sin(i * 2 * math.pi / 5), -radius * math.cos(i * 2 * math.pi / 5)) for i in range(5)]


def _multiple(ink: str, fill: str) -> list[Node]:
    return _polygon(pentagon(10), ink, fill)


def _parallel_multiple(ink: str, fill: str) -> list[Node]:
    d = "M-3,-10 h6 v7 h7 v6 h-7 v7 h-6 v-7 h-7 v-6 h7 z"
    return [path(d, fill=fill, stroke=ink, stroke_width=1.2)]


EVENT_MARKERS: dict[str, Marker] = {
    "timer": _timer,
    "message": _message,
    "signal": _signal,
    "error": _error,
    "escalation": _escalation,
    "conditional": _conditional,
    "terminate": _terminate,
    "link": _link,
    "compensate": _compensate,
    "cancel": _cancel,
    "multiple": _multiple,
    "parallelMultiple": _parallel_multiple,
}


def event_marker(kind: str, cx: float, cy: float, radius: float, ink: str, throwing: bool) -> Node | None:
    draw = EVENT_MARKERS.get(kind)
    if draw is None:
        return None
    group = Node("g", class_=f"bpmn-marker bpmn-marker-{kind}",
                 transform=f"translate({num(cx)} {num(cy)}) scale({num(radius / 18)})")
    return group.extend(draw(ink, ink if throwing else "#ffffff"))
