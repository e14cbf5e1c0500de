"""Data objects, data stores, text annotations, messages and anything unknown.

Unknown element kinds (extensions, choreographies, conversations) still get a dashed box with
their name, so a diagram never silently loses a shape a modeller drew.
"""

from __future__ import annotations

from pathways.diagram.icons import envelope
from pathways.diagram.labels import external_label
from pathways.diagram.model import Bounds, Shape
from pathways.diagram.paint import Paint
from pathways.diagram.svg import Node, num, path
from pathways.diagram.text import fit, text_node

Drawn = tuple[list[Node], Bounds]


def _with_label(nodes: list[Node], shape: Shape, paint: Paint) -> Drawn:
    label, extent = external_label(shape.name, shape.bounds, shape.label, paint)
    if label is not None:
        nodes.append(label)
    return nodes, extent


def data_object(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    fold = min(b.w, b.h) * 0.3
    page = path(f"M{num(b.x)},{num(b.y)} H{num(b.right - fold)} L{num(b.right)},{num(b.y + fold)} V{num(b.bottom)} "
                f"H{num(b.x)} Z", fill=paint.fill, stroke=paint.stroke, stroke_width=paint.width,
                stroke_linejoin="round", class_="bpmn-outline")
    corner = path(f"M{num(b.right - fold)},{num(b.y)} V{num(b.y + fold)} H{num(b.right)}", fill="none",
                  stroke=paint.stroke, stroke_width=1)
    nodes = [page, corner]
    if shape.kind in ("dataInput", "dataOutput"):
        arrow = f"M{num(b.x + 4)},{num(b.y + 6)} h6 v-3 l5,5 l-5,5 v-3 h-6 z"
        filled = paint.stroke if shape.kind == "dataOutput" else "#ffffff"
        nodes.append(path(arrow, fill=filled, stroke=paint.stroke, stroke_width=1))
    if shape.collection:
        bars = " ".join(f"M{num(b.cx + dx)},{num(b.bottom - 12)} v9" for dx in (-4, 0, 4))
        nodes.append(path(bars, stroke=paint.stroke, stroke_width=2))
    return _with_label(nodes, shape, paint)


def data_store(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    rx, ry = b.w / 2, min(b.h * 0.14, 8)
    body = path(f"M{num(b.x)},{num(b.y + ry)} V{num(b.bottom - ry)} A{num(rx)},{num(ry)} 0 0 0 "
                f"{num(b.right)},{num(b.bottom - ry)} V{num(b.y + ry)}", fill=paint.fill, stroke=paint.stroke,
                stroke_width=paint.width, class_="bpmn-outline")
    top = Node("ellipse", cx=b.cx, cy=b.y + ry, rx=rx, ry=ry, fill=paint.fill, stroke=paint.stroke,
               stroke_width=paint.width)
    rims = " ".join(f"M{num(b.x)},{num(b.y + ry * k)} A{num(rx)},{num(ry)} 0 0 0 {num(b.right)},{num(b.y + ry * k)}"
                    for k in (2, 3))
    return _with_label([body, top, path(rims, fill="none", stroke=paint.stroke, stroke_width=1)], shape, paint)


def annotation(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    arm = min(15.0, b.w)
    bracket = path(f"M{num(b.x + arm)},{num(b.y)} H{num(b.x)} V{num(b.bottom)} H{num(b.x + arm)}", fill="none",
                   stroke=paint.stroke, stroke_width=paint.width, class_="bpmn-outline")
    hit = Node("rect", x=b.x, y=b.y, width=b.w, height=b.h, fill="#ffffff", fill_opacity=0.01, stroke="none")
    nodes = [hit, bracket]
    if shape.name:
        fitted = fit(shape.name, max(b.w - 10, 20), max(b.h - 8, 12))
        nodes.append(text_node(fitted, b.x + 5, b.y + max(4.0, (b.h - fitted.height) / 2), "start",
                               fill=paint.text, class_="bpmn-label"))
    return nodes, b


def message(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    return _with_label(envelope(b.x, b.y, b.w, b.h, paint.stroke, filled=False), shape, paint)


def unknown(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    nodes = [Node("rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=4, ry=4, fill=paint.fill, stroke=paint.stroke,
                  stroke_width=1, stroke_dasharray="4 3", class_="bpmn-outline")]
    if shape.name:
        fitted = fit(shape.name, max(b.w - 10, 20), max(b.h - 6, 12))
        nodes.append(text_node(fitted, b.cx, b.cy - fitted.height / 2, fill=paint.text, class_="bpmn-label"))
    return nodes, b
