"""A tiny SVG element builder that escapes everything it writes.

Names, ids and tooltips come from untrusted BPMN files and from callers; building the document
from nodes (never by pasting strings) means a name like `<script>` can only ever become text.
Whitespace is never added inside <text>, because it would shift centred lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

AttrValue = str | float | int | None

# Characters XML 1.0 forbids even as references; callers' strings may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Drop characters that would make the document not well-formed."""
    return _INVALID_XML.sub("", text)


def escape(text: str) -> str:
    """Escape for both element text and double-quoted attribute values."""
    return (
        clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def num(value: float) -> str:
    """Short, stable number text: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attr_name(key: str) -> str:
    if key == "class_":
        return "class"
    return key.replace("_", "-")


class Node:
    """One SVG element. Keyword attributes use `_` for `-` (`stroke_width=2`); None is omitted."""

    __slots__ = ("tag", "attrs", "children", "text")

    def __init__(self, tag: str, text: str | None = None, /, **attrs: AttrValue) -> None:
        self.tag = tag
        self.attrs: dict[str, str] = {}
        self.children: list[Node] = []
        self.text = text
        self.set(**attrs)

    def set(self, **attrs: AttrValue) -> Node:
        for key, value in attrs.items():
            if value is None:
                continue
            self.attrs[_attr_name(key)] = num(value) if isinstance(value, float | int) else value
        return self

    def add(self, *children: Node | None) -> Node:
        self.children.extend(c for c in children if c is not None)
        return self

    def extend(self, children: Iterable[Node]) -> Node:
        self.children.extend(children)
        return self

    def write(self, out: list[str], depth: int = 0, inline: bool = False) -> None:
        pad = "" if inline else "\n" + "  " * depth
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in self.attrs.items())
        if not self.children and self.text is None:
            out.append(f"{pad}<{self.tag}{attrs}/>")
            return
        out.append(f"{pad}<{self.tag}{attrs}>")
        if self.text is not None:
            out.append(escape(self.text))
        keep_inline = inline or self.tag == "text"
        for child in self.children:
            child.write(out, depth + 1, keep_inline)
        close = "" if keep_inline or not self.children else "\n" + "  " * depth
        out.append(f"{close}</{self.tag}>")

    def to_string(self) -> str:
        out: list[str] = []
        self.write(out)
        return "".join(out).lstrip("\n") + "\n"


def group(*children: Node | None, **attrs: AttrValue) -> Node:
    return Node("g", **attrs).add(*children)


def path(d: str, **attrs: AttrValue) -> Node:
    return Node("path", d=d, **attrs)


def points(pairs: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in pairs)
