"""Decision tables: every hit policy as DMN 1.3 defines it, defaults, values lists, hits."""

import time
from decimal import Decimal

import pytest

from pathways.decisions import evaluate
from tests.unit.dmn_helpers import input_data, model, requires, table, table_decision

SCORE = input_data("Score") + input_data("Kind")
NEEDS = requires("i_Score", "i_Kind")


def run(table_xml, **inputs):
    read = model(SCORE + table_decision("Result", table_xml, NEEDS))
    return evaluate(read, "Result", {"Score": inputs.get("Score"), "Kind": inputs.get("Kind")})


OVERLAPPING = [[">= 5", "-", '"high"'], [">= 8", "-", '"top"'], ["< 5", "-", '"low"']]


def test_unique_gives_the_one_match_and_records_the_hit():
    outcome = run(table(["Score", "Kind"], ["level"], OVERLAPPING), Score=2)
    assert outcome.value == "low" and outcome.error is None
    assert [(hit.decision_name, hit.rules, hit.rule_ids) for hit in outcome.hits] == [("Result", (3,), ("r3",))]


def test_unique_with_two_matches_is_an_error_naming_the_rules():
    outcome = run(table(["Score", "Kind"], ["level"], OVERLAPPING), Score=9)
    assert outcome.value is None
    assert outcome.error == "Result: UNIQUE hit policy: rules 1 and 2 match"
    assert outcome.hits[0].rules == (1, 2)


def test_no_match_is_null_without_a_default():
    outcome = run(table(["Score", "Kind"], ["level"], [["> 100", "-", '"never"']]), Score=2)
    assert outcome.value is None and outcome.error is None and outcome.hits[0].rules == ()


def test_no_match_gives_the_default_output():
    outcome = run(table(["Score", "Kind"], ["level"], [["> 100", "-", '"never"']], defaults=['"none"']), Score=2)
    assert outcome.value == "none"


def test_several_outputs_give_a_context_and_defaults_per_output():
    rules = [["> 1", "-", '"a"', "1"]]
    xml = table(["Score", "Kind"], ["letter", "number"], rules, defaults=['"z"', ""])
    assert run(xml, Score=5).python() == {"letter": "a", "number": 1}
    assert run(xml, Score=0).python() == {"letter": "z", "number": None}


def test_first_takes_the_first_match_in_rule_order():
    outcome = run(table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="FIRST"), Score=9)
    assert outcome.value == "high" and outcome.hits[0].rules == (1,)


def test_any_accepts_matches_that_agree():
    rules = [[">= 5", "-", '"pass"'], [">= 8", "-", '"pass"'], ["< 5", "-", '"fail"']]
    outcome = run(table(["Score", "Kind"], ["level"], rules, hit_policy="ANY"), Score=9)
    assert outcome.value == "pass" and outcome.hits[0].rules == (1, 2)


def test_any_refuses_matches_that_disagree():
    outcome = run(table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="ANY"), Score=9)
    assert outcome.value is None and "ANY hit policy: rules 1 and 2" in outcome.error


def test_priority_follows_the_output_values_order():
    xml = table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="PRIORITY",
                output_values=['"top","high","low"'])
    assert run(xml, Score=9).value == "top"
    reverse = table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="PRIORITY",
                    output_values=['"low","high","top"'])
    assert run(reverse, Score=9).value == "high"


def test_priority_with_several_outputs_ranks_by_the_first_output_then_the_next():
    rules = [["-", "-", '"b"', '"y"'], ["-", "-", '"a"', '"y"'], ["-", "-", '"a"', '"x"']]
    xml = table(["Score", "Kind"], ["first", "second"], rules, hit_policy="PRIORITY",
                output_values=['"a","b"', '"x","y"'])
    assert run(xml, Score=1).python() == {"first": "a", "second": "x"}


def test_output_order_lists_all_matches_by_priority():
    xml = table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="OUTPUT ORDER",
                output_values=['"top","high","low"'])
    assert run(xml, Score=9).value == ["top", "high"]


def test_rule_order_lists_all_matches_in_rule_order():
    outcome = run(table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="RULE ORDER"), Score=9)
    assert outcome.value == ["high", "top"]


def test_collect_without_aggregation_lists_matches_and_nothing_is_an_empty_list():
    xml = table(["Score", "Kind"], ["level"], OVERLAPPING, hit_policy="COLLECT")
    assert run(xml, Score=9).value == ["high", "top"]
    assert run(xml, Score=None).value == []


NUMBERS = [[">= 1", "-", "10"], [">= 2", "-", "20"], [">= 3", "-", "5"]]


@pytest.mark.parametrize("policy, aggregation, expected", [
    ("COLLECT", "SUM", 35), ("COLLECT", "MIN", 5), ("COLLECT", "MAX", 20), ("COLLECT", "COUNT", 3),
    ("C+", "", 35), ("C<", "", 5), ("C>", "", 20), ("C#", "", 3)])
def test_collect_aggregations(policy, aggregation, expected):
    xml = table(["Score", "Kind"], ["amount"], NUMBERS, hit_policy=policy, aggregation=aggregation)
    assert run(xml, Score=3).python() == expected


def test_collect_aggregations_with_no_match():
    assert run(table(["Score", "Kind"], ["n"], NUMBERS, hit_policy="C#"), Score=0).python() == 0
    assert run(table(["Score", "Kind"], ["n"], NUMBERS, hit_policy="C+"), Score=0).value is None


def test_input_entries_are_feel_unary_tests():
    rules = [["[1..3]", '"a","b"', '"range and list"'], ["not(< 5)", "-", '"negated"'],
             ["-", 'not("a")', '"other"']]
    xml = table(["Score", "Kind"], ["label"], rules, hit_policy="FIRST")
    assert run(xml, Score=2, Kind="b").value == "range and list"
    assert run(xml, Score=7, Kind="a").value == "negated"
    assert run(xml, Score=4, Kind="c").value == "other"


def test_output_entries_are_feel_expressions_over_the_inputs():
    xml = table(["Score", "Kind"], ["double"], [["-", "-", "Score * 2"]])
    assert run(xml, Score=21).python() == 42


def test_a_value_outside_the_input_values_is_an_error():
    xml = table(["Score", "Kind"], ["level"], OVERLAPPING, input_values=["[0..10]"])
    assert run(xml, Score=3).value == "low"
    outcome = run(xml, Score=30)
    assert outcome.value is None and "input values" in outcome.error


def test_an_output_outside_the_output_values_is_an_error():
    xml = table(["Score", "Kind"], ["level"], [["-", "-", '"maybe"']], output_values=['"yes","no"'])
    outcome = run(xml, Score=1)
    assert outcome.value is None and "output values" in outcome.error


def test_the_error_holds_no_input_value():
    xml = table(["Score", "Kind"], ["level"], OVERLAPPING, input_values=["[0..10]"])
    assert "31415" not in run(xml, Score=31415).error


def test_a_syntax_error_in_a_cell_is_the_decision_error():
    outcome = run(table(["Score", "Kind"], ["level"], [[">= ", "-", '"x"']]), Score=1)
    assert outcome.value is None and "FEEL syntax error" in outcome.error


def test_a_fifty_rule_five_input_table_evaluates_in_well_under_a_millisecond():
    names = ["a", "b", "c", "d", "e"]
    body = "".join(input_data(name) for name in names)
    rules = [[f"[{i}..{i + 1})", f"> {i}", '"x","y"', f"<= {i * 2}", "-", str(i)] for i in range(50)]
    read = model(body + table_decision("Big", table(names, ["n"], rules, hit_policy="FIRST"),
                                       requires(*[f"i_{name}" for name in names])))
    inputs = {"a": 49.5, "b": 100, "c": "y", "d": 50, "e": 1}
    assert evaluate(read, "Big", inputs).value == Decimal(49)
    start = time.perf_counter()
    for _ in range(200):
        evaluate(read, "Big", inputs)
    assert (time.perf_counter() - start) / 200 < 0.003  # generous for slow machines; typically far less
