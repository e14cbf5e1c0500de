"""Putting a diagram together: drawing order, overlays, and a viewBox fitted to what was drawn.

Order matters for legibility: pools and lanes at the back, expanded subprocesses (largest first)
before what they contain, then sequence flows and associations, then the shapes they join (so a node's label, with its
white halo, stays readable where a flow crosses it), message flows, boundary events above the activity they
sit on, groups as outlines on top, and badges above everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType

from pathways.diagram import artifacts, containers, edges, shapes
from pathways.diagram import semantics as sem
from pathways.diagram.model import Bounds, Diagram, Edge, Shape
from pathways.diagram.overlays import Badge, draw_badges
from pathways.diagram.paint import Paint, paint_for
from pathways.diagram.placement import keep_labels_clear
from pathways.diagram.reader import read_diagram
from pathways.diagram.svg import Node, num

Drawer = Callable[[Shape, Paint], tuple[list[Node], Bounds]]
MARGIN = 20
NO_BADGES: Mapping[str, Sequence[Badge]] = MappingProxyType({})
NO_TITLES: Mapping[str, str] = MappingProxyType({})

_DRAWERS: dict[str, Drawer] = {
    "participant": containers.pool,
    "lane": containers.lane,
    "group": containers.group_box,
    "dataObjectReference": artifacts.data_object,
    "dataObject": artifacts.data_object,
    "dataInput": artifacts.data_object,
    "dataOutput": artifacts.data_object,
    "dataStoreReference": artifacts.data_store,
    "dataStore": artifacts.data_store,
    "textAnnotation": artifacts.annotation,
    "message": artifacts.message,
}


def _drawer(kind: str) -> Drawer:
    if kind in sem.ACTIVITIES:
        return shapes.activity
    if kind in sem.EVENTS:
        return shapes.event
    if kind in sem.GATEWAYS:
        return shapes.gateway
    return _DRAWERS.get(kind, artifacts.unknown)


def _category(kind: str) -> str:
    for name, kinds in (("activity", sem.ACTIVITIES), ("event", sem.EVENTS), ("gateway", sem.GATEWAYS)):
        if kind in kinds:
            return f" bpmn-{name}"
    return ""


def _layer(shape: Shape) -> tuple[int, float]:
    """Sort key: back-to-front layer, then larger containers before smaller ones."""
    if shape.kind == "participant":
        return 0, -shape.bounds.w * shape.bounds.h
    if shape.kind == "lane":
        return 1, -shape.bounds.w * shape.bounds.h
    if shape.expanded:
        return 2, -shape.bounds.w * shape.bounds.h
    if shape.kind == "boundaryEvent":
        return 5, 0
    if shape.kind == "group":
        return 6, 0
    return 3, 0


class _Canvas:
    """Collects element groups and the area they cover."""

    def __init__(self, highlight: frozenset[str], titles: Mapping[str, str]) -> None:
        self.highlight = highlight
        self.titles = titles
        self.extent: Bounds | None = None
        self.nodes: list[Node] = []

    def place(self, element_id: str, css: str, name: str, drawn: tuple[list[Node], Bounds]) -> None:
        nodes, area = drawn
        title = self.titles.get(element_id, name)
        if element_id in self.highlight:
            css += " bpmn-highlight"
        group = Node("g", class_=css, data_element_id=element_id)
        group.add(Node("title", title) if title else None).extend(nodes)
        self.nodes.append(group)
        self.include(area)

    def shape(self, shape: Shape) -> None:
        drawn = _drawer(shape.kind)(shape, paint_for(shape.element_id in self.highlight))
        self.place(shape.element_id, f"bpmn-shape bpmn-{shape.kind}{_category(shape.kind)}", shape.name, drawn)

    def edge(self, edge: Edge) -> None:
        drawn = edges.draw_edge(edge, paint_for(edge.element_id in self.highlight))
        self.place(edge.element_id, f"bpmn-edge bpmn-{edge.kind}", edge.name, drawn)

    def include(self, area: Bounds) -> None:
        self.extent = area if self.extent is None else self.extent.union(area)


def draw(diagram: Diagram, highlight: frozenset[str], badges: Mapping[str, Sequence[Badge]],
         titles: Mapping[str, str]) -> str:
    diagram = keep_labels_clear(diagram)
    canvas = _Canvas(highlight, titles)
    ordered = sorted(diagram.shapes, key=_layer)
    for shape in (s for s in ordered if _layer(s)[0] < 3):
        canvas.shape(shape)
    flows = [e for e in diagram.edges if e.kind != "messageFlow"]
    messages = [e for e in diagram.edges if e.kind == "messageFlow"]
    for edge in flows:
        canvas.edge(edge)
    for shape in (s for s in ordered if _layer(s)[0] == 3):
        canvas.shape(shape)
    for edge in messages:  # their start circle sits on the sender's border and must stay whole
        canvas.edge(edge)
    for shape in (s for s in ordered if _layer(s)[0] > 3):
        canvas.shape(shape)
    overlay = Node("g", class_="bpmn-overlays")
    placed: set[str] = set()
    for shape in diagram.shapes:
        wanted = badges.get(shape.element_id)
        if wanted and shape.element_id not in placed:
            placed.add(shape.element_id)
            layer, area = draw_badges(shape.element_id, shape.bounds, list(wanted))
            overlay.add(layer)
            canvas.include(area)
    return _document(diagram.title, canvas, overlay)


def _document(title: str, canvas: _Canvas, overlay: Node) -> str:
    view = (canvas.extent or Bounds(0, 0, 100, 100)).grow(MARGIN)
    svg = Node("svg", xmlns="http://www.w3.org/2000/svg", class_="bpmn-diagram", role="img",
               viewBox=f"{num(view.x)} {num(view.y)} {num(view.w)} {num(view.h)}", width=view.w, height=view.h,
               font_family="sans-serif")
    svg.add(Node("title", title))
    svg.add(Node("rect", x=view.x, y=view.y, width=view.w, height=view.h, fill="#ffffff", class_="bpmn-background"))
    svg.extend(canvas.nodes)
    svg.add(overlay)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg.to_string()


def render_svg(
    content: bytes,
    *,
    process_id: str | None = None,
    highlight: Iterable[str] = (),
    badges: Mapping[str, Sequence[Badge]] = NO_BADGES,
    titles: Mapping[str, str] = NO_TITLES,
    filename: str = "",
) -> str:
    """The diagram of one process as a standalone SVG document.

    Raises NoDiagram when the file has no layout for the process (or no such process), and
    InvalidDefinition when the bytes are not well-formed, safe XML.
    """
    diagram = read_diagram(content, process_id, filename)
    return draw(diagram, frozenset(highlight), badges, titles)
