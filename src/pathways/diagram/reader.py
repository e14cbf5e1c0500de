"""From BPMN bytes to a `Diagram`: pick the process, find its plane, read every shape and edge.

A file may hold several processes and several diagrams (one per pool, per collapsed subprocess,
...). The plane drawn is the first whose element is the process itself or a collaboration with a
pool for it, so a pathway shows with its pool, lanes and message partners.
"""

from __future__ import annotations

import math
from typing import Any

from pathways.base.xml import XmlProblem, parse_xml
from pathways.diagram import semantics as sem
from pathways.diagram.errors import NoDiagram
from pathways.diagram.model import Bounds, Diagram, Edge, Point, Shape
from pathways.engine.errors import InvalidDefinition
from pathways.engine.parser import BPMN_NS, document_kind

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"


def read_diagram(content: bytes, process_id: str | None, filename: str) -> Diagram:
    where = filename or "the BPMN file"
    try:
        root = parse_xml(content)
    except XmlProblem as exc:
        at = f" (line {exc.line})" if exc.line else ""
        raise InvalidDefinition(f"{where}{at}: {exc}") from None
    if document_kind(root) != "bpmn":
        raise NoDiagram(f"{where} is not a BPMN file, so there is no process diagram to draw")
    process, plane = _choose(root, _candidates(root, process_id, where), where)
    index = sem.index_elements(root)
    title = _title(root, process) or where
    diagram = _collect(plane, index, title)
    if not diagram.shapes and not diagram.edges:
        raise NoDiagram(f"{where}: the diagram of process '{process.get('id')}' is empty (no shape to draw)")
    return diagram


def _title(root: Any, process: Any) -> str:
    """The process name, else the name of the pool holding it, else its id."""
    name = (process.get("name") or "").strip()
    if name:
        return name
    for pool in root.iter(f"{{{BPMN_NS}}}participant"):
        if sem.ref(pool.get("processRef")) == process.get("id") and (pool.get("name") or "").strip():
            return str(pool.get("name")).strip()
    return str(process.get("id"))


def _candidates(root: Any, process_id: str | None, where: str) -> list[Any]:
    """The requested process; by default executable processes first, then the others."""
    processes = [p for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("id")]
    if process_id is not None:
        for process in processes:
            if process.get("id") == process_id:
                return [process]
        known = ", ".join(p.get("id") for p in processes) or "none"
        raise NoDiagram(f"{where} has no process '{process_id}' (processes in the file: {known})")
    if not processes:
        raise NoDiagram(f"{where} declares no process, so there is no process diagram to draw")
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    return executable + [p for p in processes if p not in executable]


def _choose(root: Any, candidates: list[Any], where: str) -> tuple[Any, Any]:
    """The first candidate that has a plane, with that plane.

    Descriptive files often open with an empty process and draw another one, so the default
    keeps looking rather than failing on the first process it meets.
    """
    planes = list(root.iter(f"{{{BPMNDI_NS}}}BPMNPlane"))
    for process in candidates:
        plane = _plane_for(root, planes, process.get("id"))
        if plane is not None:
            return process, plane
    if len(planes) == 1 and not planes[0].get("bpmnElement"):
        return candidates[0], planes[0]  # one unlabelled plane: it can only be this process
    raise NoDiagram(
        f"{where} has no diagram (BPMN DI) for process '{candidates[0].get('id')}': the file was saved "
        "without layout; open it in a BPMN modeller and save it to add one"
    )


def _plane_for(root: Any, planes: list[Any], process_id: str) -> Any:
    """The first plane showing the process directly or through a collaboration holding it."""
    targets = {process_id}
    for collaboration in root.findall(f"{{{BPMN_NS}}}collaboration"):
        pools = collaboration.findall(f"{{{BPMN_NS}}}participant")
        if any(sem.ref(p.get("processRef")) == process_id for p in pools):
            targets.add(collaboration.get("id"))
    for plane in planes:
        if sem.ref(plane.get("bpmnElement")) in targets:
            return plane
    return None


def _collect(plane: Any, index: sem.Index, title: str) -> Diagram:
    diagram = Diagram(title=title)
    shown = {sem.ref(d.get("bpmnElement")) for d in plane if sem.local(d) == "BPMNShape"}
    for di in plane:
        kind = sem.local(di)
        element = index.get(sem.ref(di.get("bpmnElement")))
        if element is None:
            continue
        if kind == "BPMNShape":
            shape = _shape(di, element, index, shown)
            if shape is not None:
                diagram.shapes.append(shape)
        elif kind == "BPMNEdge":
            edge = _edge(di, element, index)
            if edge is not None:
                diagram.edges.append(edge)
    return diagram


def _number(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _bounds(owner: Any) -> Bounds | None:
    node = owner.find(f"{{{DC_NS}}}Bounds")
    if node is None:
        return None
    x, y, w, h = (_number(node.get(k)) for k in ("x", "y", "width", "height"))
    if x is None or y is None or w is None or h is None or w <= 0 or h <= 0:
        return None
    return Bounds(x, y, w, h)


def _label(di: Any) -> Bounds | None:
    label = di.find(f"{{{BPMNDI_NS}}}BPMNLabel")
    return _bounds(label) if label is not None else None


def _shape(di: Any, element: Any, index: sem.Index, shown: set[str]) -> Shape | None:
    bounds = _bounds(di)
    if bounds is None:
        return None
    kind = sem.local(element)
    return Shape(
        element_id=element.get("id"),
        kind=kind,
        name=sem.display_name(element, index),
        bounds=bounds,
        label=_label(di),
        horizontal=sem.is_horizontal(di, bounds.w, bounds.h),
        expanded=sem.is_expanded(element, di, shown),
        marker_visible=di.get("isMarkerVisible") != "false",
        events=sem.event_kinds(element, index),
        throwing=kind in ("endEvent", "intermediateThrowEvent"),
        interrupting=element.get("cancelActivity") != "false" and element.get("isInterrupting") != "false",
        parallel_multiple=element.get("parallelMultiple") == "true",
        loop=sem.loop_kind(element),
        compensation=element.get("isForCompensation") == "true",
        event_subprocess=element.get("triggeredByEvent") == "true",
        collection=sem.is_collection(element, index),
        black_box=kind == "participant" and not sem.ref(element.get("processRef")),
        instantiate=element.get("instantiate") == "true",
    )


def _waypoints(di: Any) -> tuple[Point, ...]:
    found: list[Point] = []
    for node in di:
        if sem.local(node) == "waypoint":
            x, y = _number(node.get("x")), _number(node.get("y"))
            if x is not None and y is not None:
                found.append((x, y))
    return tuple(found)


def _edge(di: Any, element: Any, index: sem.Index) -> Edge | None:
    waypoints = _waypoints(di)
    if len(waypoints) < 2:
        return None
    return Edge(
        element_id=element.get("id"),
        kind=sem.local(element),
        name=(element.get("name") or "").strip(),
        points=waypoints,
        label=_label(di),
        default=sem.is_default_flow(element, index),
        conditional=sem.is_conditional_from_activity(element, index),
        direction=element.get("associationDirection") or "None",
    )
