"""Connections: sequence flows, message flows, associations and data associations.

Arrowheads are drawn as polygons on each edge rather than shared SVG <marker>s: several diagrams
can be inlined in one page without id clashes, and a highlighted flow gets a matching head.
"""

from __future__ import annotations

import math

from pathways.diagram.labels import HALO, LABEL_WIDTH, block, fit_label, stored_limit
from pathways.diagram.model import Bounds, Edge, Point
from pathways.diagram.paint import Paint
from pathways.diagram.svg import Node, points
from pathways.diagram.text import text_node

Drawn = tuple[list[Node], Bounds]
DOTTED = {"stroke_dasharray": "0.5 4", "stroke_linecap": "round"}


def _direction(tip: Point, pts: tuple[Point, ...]) -> tuple[float, float] | None:
    """Unit vector pointing into `tip` from the nearest distinct point before it."""
    for x, y in reversed(pts):
        dx, dy = tip[0] - x, tip[1] - y
        length = math.hypot(dx, dy)
        if length > 0.01:
            return dx / length, dy / length
    return None


def _head(pts: tuple[Point, ...], length: float = 11, half: float = 4) -> list[Point]:
    """The three corners of an arrowhead at the last point; empty when the edge has no direction."""
    tip = pts[-1]
    unit = _direction(tip, pts[:-1])
    if unit is None:
        return []
    ux, uy = unit
    bx, by = tip[0] - ux * length, tip[1] - uy * length
    return [(bx - uy * half, by + ux * half), tip, (bx + uy * half, by - ux * half)]


def _line(pts: tuple[Point, ...], paint: Paint, **extra: str | float | None) -> Node:
    return Node("polyline", points=points(pts), fill="none", stroke=paint.stroke, stroke_width=paint.width,
                stroke_linejoin="round", class_="bpmn-outline", **extra)


def _start_marks(edge: Edge, paint: Paint) -> list[Node]:
    """A slash across a default flow; a diamond at the start of a conditional flow out of a task."""
    start = edge.points[0]
    unit = _direction(start, edge.points[:0:-1])
    if unit is None:
        return []
    ux, uy = -unit[0], -unit[1]  # pointing along the flow
    if edge.default:
        px, py = start[0] + ux * 12, start[1] + uy * 12
        ax, ay = ux * 0.5 - uy, uy * 0.5 + ux  # a slash tilted 60 degrees to the line
        pts = [(px - ax * 6, py - ay * 6), (px + ax * 6, py + ay * 6)]
        return [Node("polyline", points=points(pts), stroke=paint.stroke, stroke_width=paint.width)]
    if edge.conditional:
        diamond = [start, (start[0] + ux * 8 - uy * 5, start[1] + uy * 8 + ux * 5), (start[0] + ux * 16,
                   start[1] + uy * 16), (start[0] + ux * 8 + uy * 5, start[1] + uy * 8 - ux * 5)]
        return [Node("polygon", points=points(diamond), fill="#ffffff", stroke=paint.stroke, stroke_width=1.2)]
    return []


def _open_head(pts: tuple[Point, ...], paint: Paint) -> list[Node]:
    head = _head(pts, 10, 5)
    return [Node("polyline", points=points(head), fill="none", stroke=paint.stroke, stroke_width=1.2)] if head else []


def _body(edge: Edge, paint: Paint) -> list[Node]:
    pts = edge.points
    if edge.kind == "sequenceFlow":
        head = _head(pts)
        nodes = [_line(pts, paint)]
        if head:
            nodes.append(Node("polygon", points=points(head), fill=paint.stroke, stroke=paint.stroke, stroke_width=1))
        return nodes + _start_marks(edge, paint)
    if edge.kind == "messageFlow":
        head = _head(pts, 11, 5)
        start = Node("circle", cx=pts[0][0], cy=pts[0][1], r=4, fill="#ffffff", stroke=paint.stroke, stroke_width=1)
        nodes = [_line(pts, paint, stroke_dasharray="8 5"), start]
        if head:
            nodes.append(Node("polygon", points=points(head), fill="#ffffff", stroke=paint.stroke, stroke_width=1))
        return nodes
    if edge.kind == "association":
        nodes = [_line(pts, paint, **DOTTED)]
        if edge.direction in ("One", "Both"):
            nodes.extend(_open_head(pts, paint))
        if edge.direction == "Both":
            nodes.extend(_open_head(pts[::-1], paint))
        return nodes
    if edge.kind in ("dataInputAssociation", "dataOutputAssociation"):
        return [_line(pts, paint, **DOTTED), *_open_head(pts, paint)]
    return [_line(pts, paint)]


def _midpoint(pts: tuple[Point, ...]) -> tuple[Point, bool]:
    """The point halfway along the polyline and whether that stretch runs mostly horizontally."""
    lengths = [math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False)]
    remaining = sum(lengths) / 2
    for (a, b), length in zip(zip(pts, pts[1:], strict=False), lengths, strict=True):
        if length > 0 and remaining <= length:
            t = remaining / length
            point = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            return point, abs(b[0] - a[0]) >= abs(b[1] - a[1])
        remaining -= length
    return pts[0], True


def _label(edge: Edge, paint: Paint) -> tuple[Node | None, Bounds | None]:
    if not edge.name:
        return None, None
    if edge.label is not None:
        fitted = fit_label(edge.name, stored_limit(edge.label))
        cx, top = edge.label.cx, edge.label.y + max(0.0, (edge.label.h - fitted.height) / 2)
        node = text_node(fitted, cx, top, fill=paint.text, class_="bpmn-label", **HALO)
        return node, block(fitted, cx, top)
    (x, y), flat = _midpoint(edge.points)
    fitted = fit_label(edge.name, LABEL_WIDTH)
    if flat:
        top = y - 5 - fitted.height
        return text_node(fitted, x, top, fill=paint.text, class_="bpmn-label", **HALO), block(fitted, x, top)
    span = block(fitted, 0, 0).w
    node = text_node(fitted, x + 6, y - fitted.height / 2, "start", fill=paint.text, class_="bpmn-label", **HALO)
    return node, Bounds(x + 6, y - fitted.height / 2, span, fitted.height)


def draw_edge(edge: Edge, paint: Paint) -> Drawn:
    xs = [p[0] for p in edge.points]
    ys = [p[1] for p in edge.points]
    extent = Bounds(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).grow(6)
    hit = Node("polyline", points=points(edge.points), fill="none", stroke="#ffffff", stroke_opacity=0.01,
               stroke_width=10, class_="bpmn-hit")
    nodes = [hit, *_body(edge, paint)]
    label, area = _label(edge, paint)
    if label is not None and area is not None:
        nodes.append(label)
        extent = extent.union(area)
    return nodes, extent
