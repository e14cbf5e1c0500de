"""Pools, lanes and groups: the shapes other shapes sit in.

Pool and lane names are written in the header band, turned to read bottom-to-top as in every
BPMN tool, so a tall lane can carry a long role name such as "Interwent kryzysowy (NGO)".
"""

from __future__ import annotations

from pathways.diagram.model import Bounds, Shape
from pathways.diagram.paint import Paint
from pathways.diagram.svg import Node, num
from pathways.diagram.text import fit, text_node

Drawn = tuple[list[Node], Bounds]
BAND = 30


def band_name(name: str, band: Bounds, vertical_text: bool, paint: Paint) -> Node | None:
    """The name centred in a header band, rotated when the band is a vertical strip."""
    if not name:
        return None
    if vertical_text:
        fitted = fit(name, band.h - 12, band.w - 2, sizes=(12, 11, 10))
        return text_node(fitted, band.cx, band.cy - fitted.height / 2, fill=paint.text, class_="bpmn-label",
                         transform=f"rotate(-90 {num(band.cx)} {num(band.cy)})")
    fitted = fit(name, band.w - 12, band.h - 4, sizes=(12, 11, 10))
    return text_node(fitted, band.cx, band.cy - fitted.height / 2, fill=paint.text, class_="bpmn-label")


def _rect(b: Bounds, paint: Paint, fill: str, stroke_width: float) -> Node:
    return Node("rect", x=b.x, y=b.y, width=b.w, height=b.h, fill=fill, stroke=paint.stroke, stroke_width=stroke_width,
                class_="bpmn-outline")


def header(b: Bounds, horizontal: bool) -> Bounds:
    if horizontal:
        return Bounds(b.x, b.y, min(BAND, b.w), b.h)
    return Bounds(b.x, b.y, b.w, min(BAND, b.h))


def pool(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    nodes = [_rect(b, paint, paint.fill, paint.width)]
    if shape.black_box:
        label = band_name(shape.name, b, False, paint)
        return ([*nodes, label] if label is not None else nodes), b
    band = header(b, shape.horizontal)
    edge = (f"M{num(band.right)},{num(b.y)} V{num(b.bottom)}" if shape.horizontal
            else f"M{num(b.x)},{num(band.bottom)} H{num(b.right)}")
    nodes.append(Node("path", d=edge, stroke=paint.stroke, stroke_width=paint.width))
    label = band_name(shape.name, band, shape.horizontal, paint)
    if label is not None:
        nodes.append(label)
    return nodes, b


def lane(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    fill = "none" if paint.fill == "#ffffff" else paint.fill
    nodes = [_rect(b, paint, fill, max(paint.width - 0.5, 1))]
    label = band_name(shape.name, header(b, shape.horizontal), shape.horizontal, paint)
    if label is not None:
        nodes.append(label)
    return nodes, b


def group_box(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    nodes = [Node("rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=10, ry=10, fill="none", stroke=paint.stroke,
                  stroke_width=paint.width, stroke_dasharray="10 4 2 4", class_="bpmn-outline")]
    if shape.name:
        fitted = fit(shape.name, max(b.w - 20, 40), 3 * 12 * 1.2)
        nodes.append(text_node(fitted, b.cx, b.y + 6, fill=paint.text, class_="bpmn-label"))
    return nodes, b
