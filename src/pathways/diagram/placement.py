"""Keeping external labels off pool and lane header bands.

Labels stored in DI are honoured, but a label that runs into a header band would hide the
lane's name (its white halo erases it), and no modeller means that. Such a label, or a default
label under a shape near the band, is moved just clear of the band.
"""

from __future__ import annotations

from dataclasses import replace

from pathways.diagram import semantics as sem
from pathways.diagram.containers import header
from pathways.diagram.labels import LABEL_WIDTH, block, fit_label, stored_limit
from pathways.diagram.model import Bounds, Diagram, Shape

EXTERNAL_LABELS = sem.EVENTS | sem.GATEWAYS | {
    "dataObjectReference", "dataObject", "dataInput", "dataOutput", "dataStoreReference", "dataStore", "message",
}
CLEARANCE = 3


def _bands(diagram: Diagram) -> list[tuple[Bounds, bool]]:
    return [(header(s.bounds, s.horizontal), s.horizontal) for s in diagram.shapes
            if s.kind in ("participant", "lane") and not s.black_box]


def _text_area(shape: Shape) -> Bounds:
    """Where the label's letters will be, as `labels.external_label` lays them out."""
    if shape.label is not None:
        fitted = fit_label(shape.name, stored_limit(shape.label))
        return block(fitted, shape.label.cx, shape.label.y)
    fitted = fit_label(shape.name, max(shape.bounds.w, LABEL_WIDTH))
    return block(fitted, shape.bounds.cx, shape.bounds.bottom + 6)


def _overlaps(a: Bounds, b: Bounds) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _clear(shape: Shape, bands: list[tuple[Bounds, bool]]) -> Shape:
    area = _text_area(shape)
    dx = dy = 0.0
    for band, horizontal in bands:
        if not _overlaps(area, band):
            continue
        if horizontal:
            dx = max(dx, band.right + CLEARANCE - area.x)
        else:
            dy = max(dy, band.bottom + CLEARANCE - area.y)
    if not dx and not dy:
        return shape
    stored = shape.label or Bounds(area.x, area.y, area.w, area.h)
    return replace(shape, label=Bounds(stored.x + dx, stored.y + dy, stored.w, stored.h))


def keep_labels_clear(diagram: Diagram) -> Diagram:
    bands = _bands(diagram)
    if not bands:
        return diagram
    shapes = [_clear(s, bands) if s.kind in EXTERNAL_LABELS and s.name else s for s in diagram.shapes]
    return Diagram(title=diagram.title, shapes=shapes, edges=diagram.edges)
