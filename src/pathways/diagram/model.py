"""What the renderer draws, read once from the XML into plain typed values.

Drawing code never touches the XML tree: the reader answers every semantic question
(which task kind, which event definition, is this flow the default, ...) up front.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bounds:
    """A rectangle in diagram coordinates (DI `dc:Bounds`)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def grow(self, margin: float) -> Bounds:
        return Bounds(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)

    def union(self, other: Bounds) -> Bounds:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Bounds(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)


Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    """A DI shape and the facts about its BPMN element that change how it looks."""

    element_id: str
    kind: str  # the BPMN element's local name: userTask, startEvent, lane, ...
    name: str
    bounds: Bounds
    label: Bounds | None = None
    horizontal: bool = True
    expanded: bool = False
    marker_visible: bool = True
    events: tuple[str, ...] = ()  # event definition kinds: timer, message, ...
    throwing: bool = False
    interrupting: bool = True
    parallel_multiple: bool = False
    loop: str = ""  # "", "loop", "parallel", "sequential"
    compensation: bool = False
    event_subprocess: bool = False
    collection: bool = False
    black_box: bool = False
    instantiate: bool = False


@dataclass(frozen=True)
class Edge:
    """A DI edge: a sequence flow, message flow, association or data association."""

    element_id: str
    kind: str
    name: str
    points: tuple[Point, ...]
    label: Bounds | None = None
    default: bool = False
    conditional: bool = False
    direction: str = "None"  # associations: None, One, Both


@dataclass
class Diagram:
    """Everything on one BPMNPlane, plus a title for the <title> element."""

    title: str
    shapes: list[Shape] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
