"""Fitting names into boxes without a font engine.

The SVG is drawn in plain `sans-serif`, whatever the viewer has (DejaVu Sans, Liberation Sans,
Arial...). Widths are estimated per character class on the generous side, so a wrapped line
fits in every one of those fonts rather than exactly in one. Polish letters are measured as
their base letter (ą as a, ł as l).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pathways.diagram.svg import Node

ELLIPSIS = "…"
LINE_HEIGHT = 1.2
_NARROW = frozenset("iljIl.,:;'|!()[]{}`ł")
_SEMI = frozenset("frtJ1/\\-\" ")
_WIDE = frozenset("mwMWŁ@%&")


def _char_width(char: str) -> float:
    """Width of one character, in ems (fraction of the font size)."""
    base = unicodedata.normalize("NFD", char)[:1] or char
    if base in _NARROW or char in _NARROW:
        return 0.3
    if base in _SEMI:
        return 0.38
    if base in _WIDE or char in _WIDE:
        return 0.9
    if base.isupper():
        return 0.7
    if base.isdigit():
        return 0.58
    if unicodedata.east_asian_width(base) in ("W", "F"):
        return 1.0
    return 0.58


def width(text: str, size: float) -> float:
    return sum(_char_width(c) for c in text) * size


_BREAK_AFTER = re.compile(r"(?<=[-/])(?=.)|(?=\()")


def _split_chars(word: str, limit: float, size: float) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and width(current + char, size) > limit:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces


def _split_word(word: str, limit: float, size: float) -> list[str]:
    """Break a word longer than the line: after a hyphen or slash, before "(", else anywhere."""
    pieces: list[str] = []
    current = ""
    for part in (p for p in _BREAK_AFTER.split(word) if p):
        if current and width(current + part, size) > limit:
            pieces.append(current)
            current = ""
        current += part
    if current:
        pieces.append(current)
    return [chunk for piece in pieces for chunk in _split_chars(piece, limit, size)]


def longest_piece(text: str, size: float) -> float:
    """Width of the widest run of text that wrapping cannot break without splitting a word."""
    return max((width(p, size) for word in text.split() for p in _BREAK_AFTER.split(word) if p), default=0)


def wrap(text: str, limit: float, size: float) -> list[str]:
    """Greedy word wrap; explicit line breaks in the name are kept."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if width(candidate, size) <= limit:
                current = candidate
                continue
            if current:
                lines.append(current)
            pieces = _split_word(word, limit, size) if width(word, size) > limit else [word]
            lines.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
        if current:
            lines.append(current)
    return lines


def _shorten(line: str, limit: float, size: float) -> str:
    while line and width(line + ELLIPSIS, size) > limit:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Fitted:
    lines: list[str]
    size: float
    truncated: bool

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LINE_HEIGHT


def fit(text: str, box_width: float, box_height: float, sizes: tuple[float, ...] = (12, 11, 10)) -> Fitted:
    """The largest size at which the text fits; at the smallest, cut with an ellipsis."""
    smallest = sizes[-1]
    longest = longest_piece(text, 1)
    for breaking in (False, True):  # first try sizes at which no word has to be split
        for size in sizes:
            if not breaking and longest * size > box_width:
                continue
            lines = wrap(text, box_width, size)
            if len(lines) * size * LINE_HEIGHT <= box_height:
                return Fitted(lines, size, False)
    lines = wrap(text, box_width, smallest)
    keep = max(1, int(box_height // (smallest * LINE_HEIGHT)))
    if len(lines) <= keep:
        return Fitted(lines, smallest, False)
    return Fitted([*lines[: keep - 1], _shorten(lines[keep - 1], box_width, smallest)], smallest, True)


def text_node(fitted: Fitted, x: float, top: float, anchor: str = "middle", /, **attrs: str | float | None) -> Node:
    """A <text> with one absolutely positioned <tspan> per line, the first line's top at `top`."""
    node = Node("text", x=x, font_size=fitted.size, text_anchor=anchor, **attrs)
    step = fitted.size * LINE_HEIGHT
    # Baseline sits about 0.8 em below the line box top once the extra leading is split.
    first = top + fitted.size * (0.8 + (LINE_HEIGHT - 1) / 2)
    for number, line in enumerate(fitted.lines):
        node.add(Node("tspan", line, x=x, y=first + number * step))
    return node
