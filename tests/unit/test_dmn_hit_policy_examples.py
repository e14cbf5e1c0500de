"""The hit policy examples of docs/decisions.md, evaluated: the page says what the code does."""

from __future__ import annotations

import pytest

from pathways.decisions import evaluate, read_model

RULES = [("&lt; 18", "-", '"youth"'), ("[18..65)", '"high"', '"crisis"'), ("-", '"high", "very high"', '"shelter"'),
         ("&gt;= 18", 'not("high")', '"counselling"')]


def table(policy: str, aggregation: str = "", output_values: str = "") -> bytes:
    rules = "".join(f'<rule id="r{n}"><inputEntry><text>{a}</text></inputEntry><inputEntry><text>{r}</text>'
                    f'</inputEntry><outputEntry><text>{o}</text></outputEntry></rule>'
                    for n, (a, r, o) in enumerate(RULES, 1))
    values = f"<outputValues><text>{output_values}</text></outputValues>" if output_values else ""
    aggregate = f' aggregation="{aggregation}"' if aggregation else ""
    return f"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="urn:x">
  <decision id="support" name="support"><decisionTable hitPolicy="{policy}"{aggregate}>
    <input><inputExpression typeRef="number"><text>age</text></inputExpression></input>
    <input><inputExpression typeRef="string"><text>risk</text></inputExpression></input>
    <output name="support" typeRef="string">{values}</output>{rules}
  </decisionTable></decision></definitions>""".encode()


def run(policy: str, age: int, risk: str, **more: str):
    return evaluate(read_model(table(policy, **more)), "support", {"age": age, "risk": risk}, variables=True)


def test_unique_two_matches_is_no_result_naming_the_rules():
    result = run("UNIQUE", 30, "high")
    assert result.value is None and result.error is not None and "rules 2 and 3 match" in result.error


def test_any_with_different_outputs_is_no_result():
    result = run("ANY", 30, "high")
    assert result.value is None and "different outputs" in (result.error or "")


@pytest.mark.parametrize(("policy", "expected"), [
    ("FIRST", "crisis"), ("RULE ORDER", ["crisis", "shelter"]), ("COLLECT", ["crisis", "shelter"])])
def test_single_and_multi_hit_policies(policy, expected):
    assert run(policy, 30, "high").value == expected


def test_priority_and_output_order_follow_the_output_values():
    values = '"shelter","crisis","counselling","youth"'
    assert run("PRIORITY", 30, "high", output_values=values).value == "shelter"
    assert run("OUTPUT ORDER", 30, "high", output_values=values).value == ["shelter", "crisis"]


def test_nothing_matches():
    assert run("UNIQUE", 70, "high").value == "shelter"  # only rule 3: age 70 is outside [18..65)
    assert run("FIRST", 10, "low").value == "youth"
    nothing = run("UNIQUE", None, "low")  # type: ignore[arg-type]  # a null age fails every age test
    assert nothing.value is None and nothing.error is None and nothing.hits[0].rules == ()
    assert run("RULE ORDER", None, "low").value == []  # type: ignore[arg-type]


def test_collect_count():
    assert run("COLLECT", 30, "high", aggregation="COUNT").value == 2
