"""BPMN diagrams drawn as SVG from the file's own diagram interchange (DI).

One renderer for the web pages, the API, supervisor dashboards and the docs. It reads only the
BPMN bytes (no Flask, no database), so every caller gets the same picture, and overlays
(highlighted elements, badges, tooltips) are plain arguments.
"""

from __future__ import annotations

from pathways.diagram.errors import NoDiagram
from pathways.diagram.overlays import TONES, Badge
from pathways.diagram.render import render_svg

__all__ = ["TONES", "Badge", "NoDiagram", "render_svg"]
