"""Untrusted XML (BPMN and DMN files are input): no DTD, no entity expansion, no network, bounded size.

Every layer that reads a model file parses it here, so the rules hold for the engine, the
decisions package and the diagram reader alike (docs/security.md, "Untrusted BPMN").
"""

from __future__ import annotations

from typing import Any

from lxml import etree

MAX_FILE_BYTES = 5 * 1024 * 1024


class XmlProblem(Exception):
    """The bytes are not a usable XML document; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def parse_xml(content: bytes) -> Any:
    """Parse untrusted XML: no DTD, no entity expansion, no network, bounded size."""
    if len(content) > MAX_FILE_BYTES:
        raise XmlProblem(f"file is {len(content):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise XmlProblem(f"not well-formed XML: {exc.msg}", line) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise XmlProblem("a DOCTYPE/entity declaration is not allowed in a BPMN or DMN file", 1)
    return root
