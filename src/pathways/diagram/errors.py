"""The one error the renderer adds: the file has nothing to draw.

Callers (web pages, the API, the CLI) catch it to show a sentence instead of a broken picture,
so the message always names the file and, when known, the process.
"""

from __future__ import annotations

from pathways.engine.errors import PathwaysError


class NoDiagram(PathwaysError):
    """The file has no diagram interchange (DI) for the requested process, or no such process."""

    code = "no_diagram"
