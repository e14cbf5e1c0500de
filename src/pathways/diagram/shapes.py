"""Flow nodes: activities (rounded rectangles), events (circles) and gateways (diamonds)."""

from __future__ import annotations

from pathways.diagram import semantics as sem
from pathways.diagram.event_icons import event_marker, pentagon
from pathways.diagram.icons import TASK_ICONS, bottom_row
from pathways.diagram.labels import external_label
from pathways.diagram.model import Bounds, Shape
from pathways.diagram.paint import Paint
from pathways.diagram.svg import AttrValue, Node, num, path, points
from pathways.diagram.text import fit, text_node

Drawn = tuple[list[Node], Bounds]
SIDE_PADDING = 6
ICON_BAND = 22  # top band kept free of text when a task-kind icon is drawn
MARKER_BAND = 20  # bottom band kept free when loop/collapsed markers are drawn


def _bottom_markers(shape: Shape) -> list[str]:
    names: list[str] = []
    if shape.loop:
        names.append(shape.loop)
    if shape.compensation:
        names.append("compensation")
    if shape.kind == "adHocSubProcess":
        names.append("adhoc")
    collapsed = shape.kind in sem.CONTAINERS and not shape.expanded
    if collapsed or (shape.kind == "callActivity" and not shape.expanded):
        names.append("collapsed")
    return names


def _outline(shape: Shape, paint: Paint) -> list[Node]:
    b = shape.bounds
    stroke = paint.width + (3.5 if shape.kind == "callActivity" else 0)
    dash = "2 3" if shape.event_subprocess else None
    nodes = [Node("rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=10, ry=10, fill=paint.fill, stroke=paint.stroke,
                  stroke_width=stroke, stroke_dasharray=dash, class_="bpmn-outline")]
    if shape.kind == "transaction":
        nodes.append(Node("rect", x=b.x + 3, y=b.y + 3, width=max(b.w - 6, 1), height=max(b.h - 6, 1), rx=7, ry=7,
                          fill="none", stroke=paint.stroke, stroke_width=1))
    return nodes


def _activity_text(shape: Shape, paint: Paint, has_icon: bool, has_markers: bool) -> Node | None:
    if not shape.name:
        return None
    b = shape.bounds
    if shape.expanded:
        fitted = fit(shape.name, max(b.w - 2 * SIDE_PADDING - 24, 20), 3 * 12 * 1.2)
        return text_node(fitted, b.x + 10 + (20 if has_icon else 0), b.y + 6, "start", fill=paint.text,
                         class_="bpmn-label")
    low = b.y + (ICON_BAND if has_icon else 5)
    high = b.bottom - (MARKER_BAND if has_markers else 5)
    fitted = fit(shape.name, b.w - 2 * SIDE_PADDING, max(high - low, 12))
    centred = b.y + (b.h - fitted.height) / 2
    top = max(low, min(centred, high - fitted.height))
    return text_node(fitted, b.cx, top, fill=paint.text, class_="bpmn-label")


def activity(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    nodes = _outline(shape, paint)
    icon = TASK_ICONS.get(shape.kind)
    if icon is not None:
        nodes.extend(icon(b.x + 6, b.y + 6, paint))
    markers = _bottom_markers(shape)
    if markers:
        nodes.extend(bottom_row(markers, b.cx, b.bottom, paint))
    label = _activity_text(shape, paint, icon is not None, bool(markers))
    if label is not None:
        nodes.append(label)
    return nodes, b


def _rings(shape: Shape, paint: Paint) -> list[Node]:
    b = shape.bounds
    r = min(b.w, b.h) / 2
    dash = None if shape.interrupting else "5 3"
    common: dict[str, AttrValue] = {"cx": b.cx, "cy": b.cy, "stroke": paint.stroke, "stroke_dasharray": dash}
    if shape.kind == "startEvent":
        return [Node("circle", r=r - 1, fill=paint.fill, stroke_width=paint.width + 0.5, class_="bpmn-outline",
                     **common)]
    if shape.kind == "endEvent":
        return [Node("circle", r=r - 2, fill=paint.fill, stroke_width=paint.width + 2.5, class_="bpmn-outline",
                     **common)]
    return [Node("circle", r=r - 0.5, fill=paint.fill, stroke_width=paint.width, class_="bpmn-outline", **common),
            Node("circle", r=r - 3.5, fill="none", stroke_width=paint.width * 0.8, **common)]


def event(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    nodes = _rings(shape, paint)
    kinds = shape.events
    kind = kinds[0] if len(kinds) == 1 else ("parallelMultiple" if shape.parallel_multiple else "multiple")
    if kinds:
        marker = event_marker(kind, b.cx, b.cy, min(b.w, b.h) / 2, paint.stroke, shape.throwing)
        if marker is not None:
            nodes.append(marker)
    label, extent = external_label(shape.name, b, shape.label, paint)
    if label is not None:
        nodes.append(label)
    return nodes, extent


def _gateway_marker(shape: Shape, paint: Paint) -> list[Node]:
    b = shape.bounds
    cx, cy, size = b.cx, b.cy, min(b.w, b.h)
    ink = paint.stroke
    bold = max(size * 0.07, 2)
    if shape.kind == "exclusiveGateway" and shape.marker_visible:
        d = size * 0.16
        return [path(f"M{num(cx - d)},{num(cy - d)} L{num(cx + d)},{num(cy + d)} M{num(cx + d)},{num(cy - d)} "
                     f"L{num(cx - d)},{num(cy + d)}", stroke=ink, stroke_width=bold, stroke_linecap="round")]
    if shape.kind in ("parallelGateway", "complexGateway"):
        d = size * 0.22
        lines = f"M{num(cx)},{num(cy - d)} V{num(cy + d)} M{num(cx - d)},{num(cy)} H{num(cx + d)}"
        if shape.kind == "complexGateway":
            e = d * 0.7
            lines += f" M{num(cx - e)},{num(cy - e)} L{num(cx + e)},{num(cy + e)} M{num(cx + e)},{num(cy - e)} " \
                     f"L{num(cx - e)},{num(cy + e)}"
        return [path(lines, stroke=ink, stroke_width=bold, stroke_linecap="round")]
    if shape.kind == "inclusiveGateway":
        return [Node("circle", cx=cx, cy=cy, r=size * 0.24, fill="none", stroke=ink, stroke_width=bold * 0.8)]
    if shape.kind == "eventBasedGateway":
        rings = [Node("circle", cx=cx, cy=cy, r=size * 0.27, fill="none", stroke=ink, stroke_width=1)]
        if shape.instantiate:
            rings.append(Node("circle", cx=cx, cy=cy, r=size * 0.22, fill="none", stroke=ink, stroke_width=1))
        corners = [(cx + x, cy + y) for x, y in pentagon(size * 0.15)]
        return [*rings, Node("polygon", points=points(corners), fill="none", stroke=ink, stroke_width=1.2)]
    return []


def gateway(shape: Shape, paint: Paint) -> Drawn:
    b = shape.bounds
    corners = [(b.cx, b.y), (b.right, b.cy), (b.cx, b.bottom), (b.x, b.cy)]
    nodes = [Node("polygon", points=points(corners), fill=paint.fill, stroke=paint.stroke, stroke_width=paint.width,
                  stroke_linejoin="round", class_="bpmn-outline")]
    nodes.extend(_gateway_marker(shape, paint))
    label, extent = external_label(shape.name, b, shape.label, paint)
    if label is not None:
        nodes.append(label)
    return nodes, extent
