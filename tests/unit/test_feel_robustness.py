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


# -- the budget of one evaluation (feel/limits.py): a hostile file cannot hold a server thread ------
def test_nested_loops_stop_at_the_step_budget_not_after_a_trillion_iterations():
    import time

    from pathways.decisions import feel

    started = time.monotonic()
    result = feel.evaluate("count(for a in 1..1000000, b in 1..1000000 return a)", {})
    assert result.value is None and any("steps" in w or " s" in w for w in result.warnings)
    assert time.monotonic() - started < 30  # a budget, not a trillion iterations


def test_branching_recursion_is_stopped():
    from pathways.decisions import feel

    result = feel.evaluate("{f: function(n) if n = 0 then 0 else f(n - 1) + f(n - 1), r: f(40)}.r", {})
    assert result.value is None and result.warnings


def test_a_string_doubled_forty_times_is_null_not_a_terabyte():
    from pathways.decisions import feel
    from pathways.decisions.feel import limits

    doubling = ", ".join(f"s{i + 1}: s{i} + s{i}" for i in range(40))
    result = feel.evaluate(f"{{s0: \"xxxxxxxx\", {doubling}}}.s40", {})
    assert result.value is None
    assert any(f"longer than {limits.MAX_ITEMS:,}" in w for w in result.warnings)


def test_within_the_budget_nothing_changes():
    from pathways.decisions import feel

    assert feel.evaluate("count(for a in 1..300, b in 1..300 return a)", {}).value == 90_000
    assert feel.evaluate("sum(for i in 1..1000 return i)", {}).value == 500_500
