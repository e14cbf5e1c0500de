"""Decision table speed: pathways' DMN evaluator against SpiffWorkflow's DMN engine on the same tables.

Run: PYTHONPATH=src .venv/bin/python benchmarks/dmn.py [--runs 3000] [--quick]
Two generated tables of 50 rules over 5 inputs (numbers, strings, ranges, lists, booleans): one
UNIQUE (the rules exclusive), one COLLECT SUM (rules overlapping, several match). Each is written
twice with the same rules: FEEL entries for ours, and the Python-expression form SpiffWorkflow's
DMNEngine evaluates (`18 <= ? < 30`, `? in ("north", "east")`, `True`). Before timing, both engines
evaluate every input and must agree. Prints the median microseconds per evaluation, over `--runs`
evaluations cycling through 200 generated inputs, and the ratio (ours / SpiffWorkflow's).

SpiffWorkflow runs with its default PythonScriptEngine (plain `eval`, the fastest it can be) and, in
the last column, with pathways' sandboxed script engine, which is how the engine ran DMN before
issue 16. SpiffWorkflow has no aggregation (COLLECT gives lists), so its COLLECT SUM is its COLLECT
followed by Python's `sum`, inside the timing. Timings, not assertions.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

from pathways.decisions import evaluate, read_model
from pathways.engine.sandbox import make_script_engine

Cell = tuple[str, str]  # (FEEL, SpiffWorkflow's Python form)
ANY: Cell = ("-", "-")
INPUTS = [("age", "number"), ("region", "string"), ("income", "number"), ("employed", "boolean"),
          ("children", "number")]
REGIONS = ["north", "east", "south", "west"]


def lt(x: int) -> Cell:
    return f"< {x}", f"< {x}"


def ge(x: int) -> Cell:
    return f">= {x}", f">= {x}"


def between(low: int, high: int) -> Cell:
    return f"[{low}..{high})", f"{low} <= ? < {high}"


def strings(*values: str) -> Cell:
    quoted = [f'"{value}"' for value in values]
    return ", ".join(quoted), quoted[0] if len(quoted) == 1 else f"? in ({', '.join(quoted)})"


def numbers(*values: int) -> Cell:
    return ", ".join(map(str, values)), f"? in ({', '.join(map(str, values))},)"


def boolean(value: bool) -> Cell:
    return str(value).lower(), str(value)


AGES = [lt(18), between(18, 30), between(30, 45), between(45, 65), ge(65)]
INCOMES = [lt(1000), between(1000, 2000), between(2000, 3500), between(3500, 6000), ge(6000)]
POOLS: list[list[Cell]] = [AGES, [strings("north", "east"), strings("south"), strings("west")], INCOMES,
                           [boolean(True), boolean(False)], [numbers(0, 1, 2), (">= 3", ">= 3"), numbers(0)]]


def unique_rules() -> list[tuple[list[Cell], list[str]]]:
    """50 exclusive rules: every (age bucket, income bucket, region group) once; employment and
    children narrow some rules further (so some inputs match none)."""
    rules = []
    for i in range(50):
        region = strings("north", "east") if i % 2 == 0 else strings("south")
        employed = [boolean(True), boolean(False), ANY][i % 3]
        children = [ANY, numbers(0, 1, 2), (">= 3", ">= 3"), ANY][i % 4]
        cells = [AGES[i // 10], region, INCOMES[(i % 10) // 2], employed, children]
        rules.append((cells, [f'"c{i + 1}"', str(i * 10 + 5)]))
    return rules


def collect_rules() -> list[tuple[list[Cell], list[str]]]:
    """50 overlapping rules, each testing two of the five inputs."""
    rules = []
    for i in range(50):
        first, second = i % 5, (i % 5 + 1 + (i // 5) % 4) % 5
        cells = [ANY] * 5
        for column in (first, second):
            pool = POOLS[column]
            cells[column] = pool[(i // 5 + column) % len(pool)]
        rules.append((cells, [str(i + 1)]))
    return rules


def table_xml(decision: str, policy: str, rules: list[tuple[list[Cell], list[str]]], outputs: list[tuple[str, str]],
              dialect: int, requirements: bool) -> str:
    """One decision with its table; `dialect` 0 is FEEL, 1 SpiffWorkflow's Python."""
    head = f'hitPolicy="{policy}"' if " " not in policy else 'hitPolicy="COLLECT" aggregation="SUM"'
    lines = [f'<decision id="{decision}" name="{decision}">']
    if requirements:
        lines += [f'<informationRequirement id="{decision}_{name}"><requiredInput href="#input_{name}"/>'
                  "</informationRequirement>" for name, _ in INPUTS]
    lines.append(f'<decisionTable id="{decision}_table" {head}>')
    lines += [f'<input id="{decision}_in_{name}" label="{name}"><inputExpression id="{decision}_ie_{name}" '
              f'typeRef="{kind}"><text>{name}</text></inputExpression></input>' for name, kind in INPUTS]
    lines += [f'<output id="{decision}_out_{name}" name="{name}" typeRef="{kind}"/>' for name, kind in outputs]
    for number, (cells, values) in enumerate(rules, 1):
        lines.append(f'<rule id="{decision}_r{number}">')
        lines += [f'<inputEntry id="{decision}_r{number}_i{n}"><text>{escape(cell[dialect])}</text></inputEntry>'
                  for n, cell in enumerate(cells, 1)]
        lines += [f'<outputEntry id="{decision}_r{number}_o{n}"><text>{value}</text></outputEntry>'
                  for n, value in enumerate(values, 1)]
        lines.append("</rule>")
    return "\n".join([*lines, "</decisionTable>", "</decision>"])


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def definitions(body: str, name: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"'
            f' id="{name}" name="{name}" namespace="http://pathways.example/benchmarks/{name}">\n{body}\n'
            "</definitions>\n").encode()


TABLES = {"UNIQUE": ("unique", "UNIQUE", unique_rules, [("category", "string"), ("score", "number")]),
          "COLLECT SUM": ("collect_sum", "COLLECT SUM", collect_rules, [("points", "number")])}


def feel_file() -> bytes:
    inputs = "\n".join(f'<inputData id="input_{name}" name="{name}"><variable name="{name}" typeRef="{kind}"/>'
                       "</inputData>" for name, kind in INPUTS)
    tables = [table_xml(d, p, rules(), outputs, 0, True) for d, p, rules, outputs in TABLES.values()]
    return definitions("\n".join([inputs, *tables]), "benchmark")


def spiff_engine(label: str) -> Any:
    decision, policy, rules, outputs = TABLES[label]
    parser = BpmnDmnParser()
    parser.add_dmn_str(definitions(table_xml(decision, policy.split()[0], rules(), outputs, 1, False), decision))
    return parser.get_engine(decision, None)


def generated_inputs(count: int) -> list[dict[str, Any]]:
    chance = random.Random(16)
    return [{"age": chance.randint(5, 90), "region": chance.choice(REGIONS), "income": chance.randint(0, 9000),
             "employed": chance.random() < 0.5, "children": chance.randint(0, 5)} for _ in range(count)]


def ours(model: Any, decision: str) -> Callable[[dict[str, Any]], Any]:
    def run(inputs: dict[str, Any]) -> Any:
        result = evaluate(model, decision, inputs)
        if result.error:
            raise RuntimeError(f"{decision}: {result.error}")
        return result.python()
    return run


def spiff(engine: Any, script_engine: Any, collect: bool) -> Callable[[dict[str, Any]], Any]:
    workflow = SimpleNamespace(script_engine=script_engine)

    def run(inputs: dict[str, Any]) -> Any:
        result = engine.result(SimpleNamespace(data=dict(inputs), workflow=workflow))
        if collect:
            return sum(result["points"]) if result else None
        return dict(result) or None
    return run


def median_us(function: Callable[[dict[str, Any]], Any], inputs: list[dict[str, Any]], runs: int) -> float:
    samples = []
    for run in range(runs):
        case = inputs[run % len(inputs)]
        start = time.perf_counter_ns()
        function(case)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def check(label: str, engines: dict[str, Callable[[dict[str, Any]], Any]], inputs: list[dict[str, Any]]) -> int:
    """Every engine gives the same result on every input; returns how many inputs matched a rule."""
    matched = 0
    for case in inputs:
        results = {name: engine(case) for name, engine in engines.items()}
        if len({repr(value) for value in results.values()}) != 1:
            raise SystemExit(f"{label}: the engines disagree on {case}: {results}")
        matched += next(iter(results.values())) is not None
    return matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3000, help="evaluations timed per engine and table")
    parser.add_argument("--quick", action="store_true", help="300 runs: a smoke test, not figures to quote")
    options = parser.parse_args()
    runs = 300 if options.quick else options.runs
    model = read_model(feel_file(), "benchmark.dmn")
    inputs = generated_inputs(200)
    print(f"50 rules, 5 inputs, {runs} evaluations over {len(inputs)} inputs; median µs per evaluation")
    print(f"{'table':<12} {'matched':>8} {'pathways':>9} {'Spiff':>9} {'ratio':>6} {'Spiff+sandbox':>14}")
    for label, (decision, _, _, _) in TABLES.items():
        engine = spiff_engine(label)
        engines = {"pathways": ours(model, decision),
                   "spiff": spiff(engine, PythonScriptEngine(), label != "UNIQUE"),
                   "sandbox": spiff(engine, make_script_engine(), label != "UNIQUE")}
        matched = check(label, engines, inputs)
        figures = {name: median_us(function, inputs, runs) for name, function in engines.items()}
        ratio = figures["pathways"] / figures["spiff"]
        print(f"{label:<12} {matched:>4}/{len(inputs):<3} {figures['pathways']:>9.1f} {figures['spiff']:>9.1f} "
              f"{ratio:>6.2f} {figures['sandbox']:>14.1f}")


if __name__ == "__main__":
    main()
