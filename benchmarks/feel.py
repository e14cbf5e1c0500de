"""The cost of FEEL: parsing (uncached) and evaluating a few typical expressions and unary tests.

Run: .venv/bin/python benchmarks/feel.py [--runs 2000]
Prints, per expression, the median microseconds to parse (lark LALR + compiling to closures, the
cache bypassed) and to evaluate an already parsed expression. Timings, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import time

from pathways.decisions import feel
from pathways.decisions.feel.parser import _parse_cached

VARIABLES = {"Monthly Salary": 4200.5, "age": 34, "season": "Winter", "items": [3, 8, 1, 9, 4],
             "applicant": {"name": "Anna", "debts": [{"amount": 100}, {"amount": 250}]}}
EXPRESSIONS = [
    ("arithmetic", "Monthly Salary * 12 - 1000"),
    ("comparison", "age >= 18 and age < 65"),
    ("if", 'if age < 18 then "minor" else "adult"'),
    ("filter + sum", "sum(applicant.debts[amount > 50].amount)"),
    ("for", "for x in items return x * 2"),
    ("builtin", 'string length(upper case(applicant.name)) + count(items)'),
    ("date", 'date("2026-01-31") + duration("P1M") > date("2026-02-01")'),
]
UNARY_TESTS = [("list", '"Fall", "Winter"', "Winter"), ("range", "[18..65)", 34), ("comparison", ">= 18", 34),
               ("negation", 'not("Spring", "Summer")', "Winter"), ("any", "-", 1)]


def median_us(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        function()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    feel.evaluate("1", {})  # build the LALR tables once (about a tenth of a second), outside the timings
    variables = {key: feel.from_python(value) for key, value in VARIABLES.items()}
    print(f"{'expression':<14} {'parse µs':>9} {'evaluate µs':>12}  text")
    for label, text in EXPRESSIONS:
        parse = median_us(lambda text=text: (_parse_cached.cache_clear(), feel.parse(text, VARIABLES)), runs)
        parsed = feel.parse(text, VARIABLES)
        run = median_us(lambda parsed=parsed: feel.evaluate(parsed, variables, convert=False), runs)
        print(f"{label:<14} {parse:>9.1f} {run:>12.1f}  {text}")
    print(f"{'unary test':<14} {'parse µs':>9} {'evaluate µs':>12}  text")
    for label, text, value in UNARY_TESTS:
        parse = median_us(lambda text=text: (_parse_cached.cache_clear(), feel.parse_unary_tests(text)), runs)
        parsed = feel.parse_unary_tests(text)
        run = median_us(lambda parsed=parsed, value=value: feel.unary_test(parsed, value), runs)
        print(f"{label:<14} {parse:>9.1f} {run:>12.1f}  {text}")


if __name__ == "__main__":
    main()
