"""FEEL's string functions (DMN 1.3, 10.3.4.3). Positions count from 1, negative from the end."""

from __future__ import annotations

import functools
import re
import re._parser as re_parser  # the pattern's structure, to refuse catastrophic backtracking (limits)
from typing import Any

from .limits import check_length, check_regex, regex_spans, spend
from .registry import MISSING, builtin, need, need_int, need_list
from .values import FeelError


def _text(value: Any, what: str = "string") -> str:
    result: str = need(value, "string", what)
    return result


@builtin("substring", "string", "start position", "length?")
def substring(string: Any, start: Any, length: Any = MISSING) -> str:
    chars = list(_text(string))  # code points, as the standard counts them
    begin = need_int(start, "start position")
    if begin == 0 or abs(begin) > len(chars) + (1 if begin > 0 else 0):
        if begin > len(chars):
            return ""
        raise FeelError("start position out of range")
    index = begin - 1 if begin > 0 else len(chars) + begin
    if length is MISSING:
        return "".join(chars[index:])
    count = need_int(length, "length")
    if count < 0:
        raise FeelError("length must not be negative")
    return "".join(chars[index:index + count])


@builtin("string length", "string")
def string_length(string: Any) -> Any:
    from decimal import Decimal

    return Decimal(len(_text(string)))


@builtin("upper case", "string")
def upper_case(string: Any) -> str:
    return _text(string).upper()


@builtin("lower case", "string")
def lower_case(string: Any) -> str:
    return _text(string).lower()


@builtin("substring before", "string", "match")
def substring_before(string: Any, match: Any) -> str:
    text, part = _text(string), _text(match, "match")
    index = text.find(part)
    return "" if index < 0 else text[:index]


@builtin("substring after", "string", "match")
def substring_after(string: Any, match: Any) -> str:
    text, part = _text(string), _text(match, "match")
    index = text.find(part)
    return "" if index < 0 else text[index + len(part):]


def _pattern(pattern: Any, flags: Any, text: str) -> re.Pattern[str]:
    """XPath regular expressions (the standard's choice) are close to Python's for common use.

    A pattern that could hold the server thread on `text` is refused (`limits.check_regex`)."""
    options = 0
    for flag in _text(flags, "flags") if flags is not None else "":
        if flag == "i":
            options |= re.IGNORECASE
        elif flag == "s":
            options |= re.DOTALL
        elif flag == "m":
            options |= re.MULTILINE
        elif flag == "x":
            options |= re.VERBOSE
        elif flag != "q":
            raise FeelError(f"unknown regular expression flag {flag!r}")
    source = _text(pattern, "pattern")
    if flags is not None and "q" in flags:
        source = re.escape(source)
    if len(source) > 1000:
        raise FeelError("pattern too long")
    try:
        check_regex(_spans(source, options), len(text))
        return re.compile(source, options)
    except re.error as error:
        raise FeelError(f"bad pattern {source!r}: {error}") from None


@functools.lru_cache(maxsize=512)
def _spans(source: str, options: int) -> tuple[int, ...]:
    return regex_spans(re_parser.parse(source, options))


@builtin("replace", "input", "pattern", "replacement", "flags?")
def replace(input: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    text = _text(input, "input")
    compiled = _pattern(pattern, flags, text)
    template = re.sub(r"\$(\d+)", r"\\g<\1>", _text(replacement, "replacement"))
    made = 0

    def expand(match: re.Match[str]) -> str:
        nonlocal made  # what the replacements add up to, refused before it outgrows the limit
        piece = match.expand(template)
        made += len(piece)
        check_length(made)
        return piece
    try:
        return compiled.sub(expand, text)
    except (re.error, IndexError) as error:
        raise FeelError(f"bad replacement: {error}") from None


@builtin("contains", "string", "match")
def contains(string: Any, match: Any) -> bool:
    return _text(match, "match") in _text(string)


@builtin("starts with", "string", "match")
def starts_with(string: Any, match: Any) -> bool:
    return _text(string).startswith(_text(match, "match"))


@builtin("ends with", "string", "match")
def ends_with(string: Any, match: Any) -> bool:
    return _text(string).endswith(_text(match, "match"))


@builtin("matches", "input", "pattern", "flags?")
def matches(input: Any, pattern: Any, flags: Any = None) -> bool:
    text = _text(input, "input")
    return _pattern(pattern, flags, text).search(text) is not None


@builtin("split", "string", "delimiter")
def split(string: Any, delimiter: Any) -> list[str]:
    text = _text(string)
    return _pattern(delimiter, None, text).split(text)


@builtin("string join", "list", "delimiter?")
def string_join(list: Any, delimiter: Any = None) -> str:
    items = need_list(list)
    spend(len(items) // 4)  # each item is looked at in Python (library_lists._scanned)
    separator = "" if delimiter is None else _text(delimiter, "delimiter")
    for item in items:
        if item is not None and not isinstance(item, str):
            raise FeelError("string join takes a list of strings")
    present = [item for item in items if item is not None]
    check_length(sum(len(item) for item in present) + len(separator) * max(len(present) - 1, 0))
    return separator.join(item for item in items if item is not None)
