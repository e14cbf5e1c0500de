"""File handling for `pathways diagram`: which files to draw and what to call the SVGs.

Kept out of the CLI so the command stays a thin call, and so pages that publish diagrams
name them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pathways.engine.definitions import SourceFile, collect

BPMN_SUFFIXES = (".bpmn20.xml", ".bpmn")


def bpmn_sources(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Files named on the command line as given; folders contribute their BPMN files (not DMN)."""
    found: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        sources = collect([path])
        if path.is_dir():
            sources = [s for s in sources if s.filename.lower().endswith(BPMN_SUFFIXES)]
        found.extend(sources)
    return found


def svg_name(filename: str) -> str:
    """`workflows/intake_referral.bpmn` -> `intake_referral.svg` (also for .bpmn20.xml)."""
    name = Path(filename).name
    for suffix in BPMN_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + ".svg"
    return Path(name).stem + ".svg"
