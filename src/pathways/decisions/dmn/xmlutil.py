"""Walking a DMN document whatever its prefix (`dmn:decision` or a default namespace) and version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
"""DMN 1.1 to 1.5 (a copy of the engine's list plus 1.4: decisions may not import the engine)."""


def local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: Any, name: str | None = None) -> Iterator[Any]:
    """DMN child elements (any DMN version's namespace, or none), optionally by local name."""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        namespace = etree.QName(child).namespace
        if namespace is not None and namespace not in DMN_NAMESPACES:
            continue
        if name is None or etree.QName(child).localname == name:
            yield child


def child(element: Any, name: str) -> Any:
    return next(children(element, name), None)


def text_of(element: Any) -> str:
    """The text of an element's `<text>` child (literal expressions, entries, values lists)."""
    if element is None:
        return ""
    found = child(element, "text")
    return (found.text or "") if found is not None else ""


def line(element: Any) -> int | None:
    return element.sourceline if element is not None else None
