"""Whatever the text, FEEL either parses or raises FeelSyntaxError, and evaluation never raises."""

import contextlib
import random

import pytest

from pathways.decisions.feel import FeelSyntaxError, evaluate, unary_test

SEEDS = [
    'if age >= 18 then "adult" else "minor"', "for i in 1..3 return i * 2", "[1, 2, 3][item > 1]",
    '{a: 1, b: {c: "x"}}.b.c', 'date("2026-01-31") + duration("P1M")', "some x in [1, 2] satisfies x > 1",
    'substring("foobar", 2, 3)', "(function(x, y) x + y)(1, 2)", "[1..10) = [1..10[", "x instance of list<number>",
    'not("a", "b")', "? > 3, [5..8]", 'string join(["a"], ",")', '@"2026-01-01T10:00:00@Europe/Warsaw".hour',
]
PIECES = ["(", ")", "[", "]", "..", '"', ",", "-", "not(", "?", "@", ".", " ", "{", "}", ":", "`", "\\", "**", "/*"]


def mutations(count: int) -> list[str]:
    rng = random.Random(16)
    out = []
    for _ in range(count):
        text = rng.choice(SEEDS)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(PIECES) + text[at + rng.randint(0, 2):]
        out.append(text)
    return out


@pytest.mark.parametrize("text", mutations(300))
def test_mutated_text_never_raises_anything_but_a_syntax_error(text):
    for run in (lambda: evaluate(text, {"age": 20, "x": [1]}), lambda: unary_test(text, 1, {})):
        with contextlib.suppress(FeelSyntaxError):
            run()
