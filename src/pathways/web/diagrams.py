"""Drawing a pathway's diagram into a page: the SVG, or the sentence saying why there is none.

One guard for every page that shows a diagram (designer, case, supervisor). It catches only
`NoDiagram`, the renderer's "this file has nothing to draw" (no diagram layout, no such
process): that is a fact about the file, shown as a sentence where the picture would be. Any other
error is a bug or a broken installation and goes on to the error handler (logged, a 500 page),
never disguised as "no layout".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup


def draw(content: bytes | None, process_id: str, *, no_layout: str | None = None,
         highlight: Iterable[str] = (), badges: Mapping[str, list[Any]] | None = None,
         titles: Mapping[str, str] | None = None) -> tuple[Markup | None, str | None]:
    """(the inline SVG, None), or (None, why not) when the file has no diagram to draw.

    `content` None: the version has no BPMN file to draw from. `no_layout` replaces the page's
    sentence for a file without a layout.
    """
    if content is None:
        return None, _("This pathway version has no diagram file.")
    # imported here: only pages that show a diagram load the renderer
    from pathways.diagram import NoDiagram, render_svg

    try:
        svg = render_svg(content, process_id=process_id, highlight=list(highlight), badges=dict(badges or {}),
                         titles=dict(titles or {}))
    except NoDiagram:
        return None, no_layout or _("The diagram of this pathway cannot be drawn (the file has no layout).")
    start = svg.find("<svg")  # inline in the page: without the XML declaration
    return Markup(svg[start:] if start >= 0 else svg), None  # noqa: S704 - the renderer escapes every text
