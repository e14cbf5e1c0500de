"""Small markers inside activities: the task kind (top left) and the loop/collapsed row (bottom).

Each function draws in a 16x16 box whose top-left corner is (x, y), in the shape's stroke colour,
so a highlighted task keeps legible markers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pathways.diagram.paint import Paint
from pathways.diagram.svg import Node, num, path, points

Icon = Callable[[float, float, Paint], list[Node]]


def envelope(x: float, y: float, w: float, h: float, ink: str, filled: bool) -> list[Node]:
    """A letter: outlined for receiving, filled for sending."""
    body = Node("rect", x=x, y=y, width=w, height=h, fill=ink if filled else "#ffffff", stroke=ink, stroke_width=1)
    flap = path(f"M{num(x)},{num(y)} L{num(x + w / 2)},{num(y + h * 0.55)} L{num(x + w)},{num(y)}",
                fill="none", stroke="#ffffff" if filled else ink, stroke_width=1)
    return [body, flap]


def _user(x: float, y: float, paint: Paint) -> list[Node]:
    body = path(f"M{num(x + 1)},{num(y + 16)} v-3 q0,-5 7,-5 q7,0 7,5 v3 z", fill="#ffffff", stroke=paint.stroke,
                stroke_width=1)
    head = Node("circle", cx=x + 8, cy=y + 4.5, r=3.5, fill="#ffffff", stroke=paint.stroke, stroke_width=1)
    return [body, head]


def _manual(x: float, y: float, paint: Paint) -> list[Node]:
    d = (f"M{num(x + 1)},{num(y + 7)} l4,-4 h9 a1.4,1.4 0 0 1 0,2.8 h-6 h7 a1.4,1.4 0 0 1 0,2.8 h-7 "
         "h6 a1.4,1.4 0 0 1 0,2.8 h-6 h4 a1.4,1.4 0 0 1 0,2.8 h-9 l-3,-2 z")
    return [path(d, fill="#ffffff", stroke=paint.stroke, stroke_width=1, stroke_linejoin="round")]


def _script(x: float, y: float, paint: Paint) -> list[Node]:
    scroll = path(f"M{num(x + 4)},{num(y + 1)} h10 c-3,3 -3,5 0,7 c3,2 3,5 0,8 h-10 c3,-3 3,-6 0,-8 "
                  "c-3,-2 -3,-4 0,-7 z", fill="#ffffff", stroke=paint.stroke, stroke_width=1)
    lines = path(f"M{num(x + 5)},{num(y + 5)} h6 M{num(x + 6)},{num(y + 8.5)} h6 M{num(x + 5)},{num(y + 12)} h6",
                 stroke=paint.stroke, stroke_width=1)
    return [scroll, lines]


def gear(cx: float, cy: float, outer: float, inner: float, ink: str) -> list[Node]:
    """A cog wheel with eight teeth."""
    corners: list[tuple[float, float]] = []
    for tooth in range(8):
        base = tooth * math.pi / 4
        for offset, radius in ((-0.22, inner), (-0.13, outer), (0.13, outer), (0.22, inner)):
            corners.append((cx + radius * math.cos(base + offset), cy + radius * math.sin(base + offset)))
    wheel = Node("polygon", points=points(corners), fill="#ffffff", stroke=ink, stroke_width=1)
    hub = Node("circle", cx=cx, cy=cy, r=inner * 0.42, fill="#ffffff", stroke=ink, stroke_width=1)
    return [wheel, hub]


def _service(x: float, y: float, paint: Paint) -> list[Node]:
    return gear(x + 8, y + 8, 7.5, 5.5, paint.stroke)


def _business_rule(x: float, y: float, paint: Paint) -> list[Node]:
    table = Node("rect", x=x + 1, y=y + 3, width=15, height=11, fill="#ffffff", stroke=paint.stroke, stroke_width=1)
    header = Node("rect", x=x + 1, y=y + 3, width=15, height=3.5, fill=paint.stroke, stroke=paint.stroke,
                  stroke_width=1)
    grid = path(f"M{num(x + 1)},{num(y + 10)} h15 M{num(x + 5.5)},{num(y + 6.5)} v7.5", stroke=paint.stroke,
                stroke_width=1)
    return [table, header, grid]


def _send(x: float, y: float, paint: Paint) -> list[Node]:
    return envelope(x, y + 2, 16, 11, paint.stroke, filled=True)


def _receive(x: float, y: float, paint: Paint) -> list[Node]:
    return envelope(x, y + 2, 16, 11, paint.stroke, filled=False)


TASK_ICONS: dict[str, Icon] = {
    "userTask": _user,
    "manualTask": _manual,
    "scriptTask": _script,
    "serviceTask": _service,
    "businessRuleTask": _business_rule,
    "sendTask": _send,
    "receiveTask": _receive,
}


def _collapsed(x: float, y: float, paint: Paint) -> list[Node]:
    box = Node("rect", x=x, y=y, width=14, height=14, fill="#ffffff", stroke=paint.stroke, stroke_width=1)
    plus = path(f"M{num(x + 7)},{num(y + 3)} v8 M{num(x + 3)},{num(y + 7)} h8", stroke=paint.stroke, stroke_width=1.5)
    return [box, plus]


def _parallel(x: float, y: float, paint: Paint) -> list[Node]:
    d = " ".join(f"M{num(x + dx)},{num(y + 2)} v10" for dx in (3, 7, 11))
    return [path(d, stroke=paint.stroke, stroke_width=2)]


def _sequential(x: float, y: float, paint: Paint) -> list[Node]:
    d = " ".join(f"M{num(x + 2)},{num(y + dy)} h10" for dy in (3, 7, 11))
    return [path(d, stroke=paint.stroke, stroke_width=2)]


def _loop(x: float, y: float, paint: Paint) -> list[Node]:
    arc = path(f"M{num(x + 4)},{num(y + 12)} A5.5,5.5 0 1 1 {num(x + 10)},{num(y + 12)}", fill="none",
               stroke=paint.stroke, stroke_width=1.5)
    head = path(f"M{num(x + 1)},{num(y + 10)} L{num(x + 4)},{num(y + 12.5)} L{num(x + 1)},{num(y + 14.5)}",
                fill="none", stroke=paint.stroke, stroke_width=1.5)
    return [arc, head]


def _compensation(x: float, y: float, paint: Paint) -> list[Node]:
    d = (f"M{num(x)},{num(y + 7)} l7,-5 v10 z M{num(x + 7)},{num(y + 7)} l7,-5 v10 z")
    return [path(d, fill="none", stroke=paint.stroke, stroke_width=1)]


def _ad_hoc(x: float, y: float, paint: Paint) -> list[Node]:
    d = f"M{num(x + 1)},{num(y + 8)} c2,-4 4,-4 6,0 c2,4 4,4 6,0"
    return [path(d, fill="none", stroke=paint.stroke, stroke_width=1.5)]


BOTTOM_MARKERS: dict[str, Icon] = {
    "collapsed": _collapsed,
    "parallel": _parallel,
    "sequential": _sequential,
    "loop": _loop,
    "compensation": _compensation,
    "adhoc": _ad_hoc,
}
MARKER_SIZE = 14
MARKER_GAP = 4


def bottom_row(names: list[str], cx: float, bottom: float, paint: Paint) -> list[Node]:
    """The markers centred in a row just above the activity's bottom edge."""
    total = len(names) * MARKER_SIZE + (len(names) - 1) * MARKER_GAP
    x = cx - total / 2
    nodes: list[Node] = []
    for name in names:
        nodes.extend(BOTTOM_MARKERS[name](x, bottom - MARKER_SIZE - 4, paint))
        x += MARKER_SIZE + MARKER_GAP
    return nodes
