"""DMN lint: each kind of problem found and located (line, decision, rule, column), clean files stay clean."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from pathways.decisions import feel
from pathways.decisions.lint import DmnProblem, lint_dmn
from pathways.decisions.lint_feel import syntax_problem
from pathways.decisions.lint_graph import find_cycles
from pathways.decisions.overlap import overlap, overlapping_pairs
from tests.helpers import WORKFLOWS

NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def definitions(body: str, extra: str = "") -> bytes:
    """A DMN file; its first line is the XML declaration, so element lines are easy to count."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{NS}" id="d" name="d" '
            f'namespace="http://example.org/d"{extra}>\n{body}\n</definitions>\n').encode()


INPUTS = """<inputData id="i_age" name="age"><variable name="age" typeRef="number"/></inputData>
<inputData id="i_kind" name="kind"><variable name="kind" typeRef="string"/></inputData>"""


def table(rules: list[tuple[str, str, str]], *, policy: str = "UNIQUE", head: str = "", output: str = "") -> str:
    """A decision "Grant" reading age and kind, one output `amount`; rules as (age entry, kind entry, output)."""
    rows = "\n".join(
        f'<rule id="r{n}">\n<inputEntry id="r{n}a"><text>{escape(a)}</text></inputEntry>\n'
        f'<inputEntry id="r{n}k"><text>{escape(k)}</text></inputEntry>\n'
        f'<outputEntry id="r{n}o"><text>{escape(o)}</text></outputEntry>\n</rule>'
        for n, (a, k, o) in enumerate(rules, 1))
    return f"""{INPUTS}
<decision id="grant" name="Grant">
<informationRequirement id="q1"><requiredInput href="#i_age"/></informationRequirement>
<informationRequirement id="q2"><requiredInput href="#i_kind"/></informationRequirement>
<decisionTable id="t" hitPolicy="{policy}"{head}>
<input id="c1" label="Age"><inputExpression id="e1" typeRef="number"><text>age</text></inputExpression></input>
<input id="c2" label="Kind"><inputExpression id="e2" typeRef="string"><text>kind</text></inputExpression></input>
<output id="out" name="amount" typeRef="number">{output}</output>
{rows}
</decisionTable>
</decision>"""


def lint(body: str, **kwargs: str) -> list[DmnProblem]:
    return lint_dmn(definitions(body, **kwargs), "grant.dmn")


def line_of(content: bytes, fragment: str) -> int:
    return content.decode().splitlines().index(next(x for x in content.decode().splitlines() if fragment in x)) + 1


GOOD = [("< 18", '"a"', "0"), ("[18..65)", '"a","b"', "100"), (">= 65", '-', "50"), ("[18..65)", 'not("a","b")', "10")]


def test_a_good_table_is_clean() -> None:
    assert lint(table(GOOD)) == []


# --- FEEL syntax errors, located -------------------------------------------------------------


def test_syntax_error_in_an_input_entry_names_line_decision_rule_column_and_position() -> None:
    content = definitions(table([*GOOD[:1], ("[18..65", '"a"', "1")]))
    [problem] = lint_dmn(content, "grant.dmn")
    assert problem.severity == "error"
    line = line_of(content, "[18..65</text>")
    assert (problem.line, problem.decision, problem.rule, problem.column) == (line, "Grant", 2, 1)
    assert problem.element == "r2a" and problem.feel_column == 8
    assert problem.place == 'decision "Grant", rule 2, column 1'
    assert str(problem) == (f'line {problem.line}, decision "Grant", rule 2, column 1: input entry: FEEL syntax '
                            "error: unexpected end at column 8 of `[18..65` (expected here: ), [, ])")


@pytest.mark.parametrize(("body", "kind", "hint"), [
    (table(GOOD).replace("<text>age</text>", "<text>age ==</text>"), "input expression", "single `=`"),
    (table([("< 18", '"a"', "'low'")]), "output entry", "double quotes"),
    (table(GOOD, output='<defaultOutputEntry id="dflt"><text>1 +</text></defaultOutputEntry>'),
     "default output entry", "expected here"),
    (table(GOOD, output='<outputValues id="ov"><text>[1..</text></outputValues>'), "output values", "expected"),
    ('<decision id="x" name="X"><literalExpression id="le"><text>if a then b</text></literalExpression></decision>',
     "literal expression", "else"),
    ('<decision id="x" name="X"><context id="cx"><contextEntry><variable name="a"/>'
     '<literalExpression id="ce"><text>1 ** </text></literalExpression></contextEntry></context></decision>',
     "context entry `a`", "expected"),
    ('<itemDefinition name="tKind"><typeRef>string</typeRef><allowedValues id="av"><text>"a" "b"</text>'
     '</allowedValues></itemDefinition>', "allowed values", "expected"),
    ('<businessKnowledgeModel id="b" name="double"><encapsulatedLogic><formalParameter name="x"/>'
     '<literalExpression><text>x * 2</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>'
     '<decision id="x" name="X"><knowledgeRequirement><requiredKnowledge href="#b"/></knowledgeRequirement>'
     '<invocation><literalExpression><text>double</text></literalExpression><binding><parameter name="x"/>'
     '<literalExpression id="bind"><text>3 &amp;&amp; 4</text></literalExpression></binding></invocation>'
     '</decision>', "binding `x`", "and` and `or"),
    ('<decision id="x" name="X"><relation><column name="a"/><row><literalExpression><text>1</text>'
     '</literalExpression></row><row><literalExpression><text>(2</text></literalExpression></row></relation>'
     '</decision>', "relation row 2, column 1", "expected"),
])
def test_syntax_errors_in_every_kind_of_cell(body: str, kind: str, hint: str) -> None:
    problems = [p for p in lint(body) if "syntax" in p.message]
    assert len(problems) == 1, problems
    assert problems[0].message.startswith(f"{kind}: FEEL syntax error: unexpected")
    assert hint in (problems[0].hint or "")
    assert problems[0].line is not None and problems[0].feel_column is not None


def test_a_multi_line_cell_reports_the_file_line_of_the_error() -> None:
    content = definitions('<decision id="x" name="X"><literalExpression id="le"><text>1 +\n2 +\n* 3</text>'
                          '</literalExpression></decision>')
    [problem] = lint_dmn(content, "x.dmn")
    assert problem.line == line_of(content, "<text>1 +") + 2
    assert "at line 3, column 1 of `1 + 2 + * 3`" in problem.message


def test_syntax_problem_hints() -> None:
    def hint(text: str) -> str:
        with pytest.raises(feel.FeelSyntaxError) as error:
            feel.parse(text)
        return syntax_problem(text, error.value).hint
    assert "double quotes" in hint("'a'")
    assert "single `=`" in hint("a == 1")
    assert hint("a +") == "expected here: (, -, ?, @, [, ], a name, a number, ..."


def test_a_python_file_is_not_linted_as_feel() -> None:
    body = table([("< 18", '"a"', "'x' if True else None")])
    assert lint(body) != []
    assert lint(body, extra=' expressionLanguage="python"') == []


# --- names not in scope ------------------------------------------------------------------------


def test_unknown_name_with_the_closest_known_name() -> None:
    [problem] = lint(table([("< agee", '"a"', "0")]))
    assert str(problem).endswith('rule 1, column 1: input entry: unknown name `agee` in `< agee` (did you mean `age`?)')
    assert problem.severity == "error"


def test_python_booleans_are_unknown_names_with_a_feel_hint() -> None:
    [problem] = lint(table([("< 18", '"a"', "True")]))
    assert "unknown name `True`" in problem.message and problem.hint == (
        "FEEL writes true, in lower case; True is read as a name")


def test_names_bound_inside_are_in_scope() -> None:
    body = INPUTS + """<decision id="x" name="X">
<informationRequirement><requiredInput href="#i_age"/></informationRequirement>
<context><contextEntry><variable name="double"/><literalExpression><text>function(n) n * 2</text>
</literalExpression></contextEntry><contextEntry><variable name="a"/><literalExpression>
<text>for v in [age] return double(v) + count(list[item > age])</text></literalExpression></contextEntry>
<contextEntry><literalExpression><text>a + kind</text></literalExpression></contextEntry></context></decision>"""
    problems = lint(body)
    assert [p.message.split(" in ")[0] for p in problems] == ["context entry `a`: unknown name `list`",
                                                               "context result: unknown name `kind`"]
    assert problems[1].hint == ("names in scope here: `a`, `age`, `double`; add an information requirement if this "
                                "is an input")


def test_names_only_inside_a_filter_are_not_reported() -> None:
    body = INPUTS + """<decision id="x" name="X"><informationRequirement><requiredInput href="#i_age"/>
</informationRequirement><literalExpression><text>age[dept = 20]</text></literalExpression></decision>"""
    assert lint(body) == []


def test_without_input_data_names_are_process_variables_and_not_checked() -> None:
    body = """<decision id="x" name="X"><decisionTable id="t"><input id="c"><inputExpression>
<text>anything</text></inputExpression></input><output id="o" name="o"/><rule id="r"><inputEntry><text>1</text>
</inputEntry><outputEntry><text>whatever</text></outputEntry></rule></decisionTable></decision>"""
    assert lint(body) == []
    [problem] = lint(body.replace("whatever", "False"))
    assert problem.message == "output entry: unknown name `False` in `False`" and problem.rule == 1


# --- UNIQUE overlaps ---------------------------------------------------------------------------


def test_overlapping_unique_rules_are_a_warning_with_an_example() -> None:
    problems = lint(table([*GOOD, ("> 60", '"b"', "7")]))
    assert [(p.severity, p.rule, p.message) for p in problems] == [
        ("warning", 5, 'UNIQUE table: rules 2 and 5 can both match, e.g. for Age = 62.5, Kind = "b"'),
        ("warning", 5, 'UNIQUE table: rules 3 and 5 can both match, e.g. for Age = 65, Kind = "b"'),
    ]
    assert "FIRST" in (problems[0].hint or "")


def test_other_hit_policies_may_overlap() -> None:
    assert lint(table([*GOOD, ("> 60", '"b"', "7")], policy="FIRST")) == []


@pytest.mark.parametrize(("first", "second", "example"), [
    (["< 5"], [">= 5"], None),
    (["<= 5"], [">= 5"], [Decimal(5)]),
    (["[1..5)"], ["[5..10]"], None),
    (["]1..5]"], ["(4..10]"], [Decimal(5)]),
    (["(< 10)"], ["[1, 2]"], [Decimal(1)]),
    (["-5"], ["< 0"], [Decimal(-5)]),
    (["!= 5"], ["5"], None),
    (['"a", "b"'], ['not("a")'], ["b"]),
    (['"a"'], ['not("a")'], None),
    (['"a"'], ["5"], None),
    (["-", "true"], ['"x"', "not(true)"], None),
    (["-", "true"], ['"x"', "true"], ["x", True]),
    (['date("2026-01-01")'], ['> @"2025-12-31"'], [datetime.date(2026, 1, 1)]),
    (['< date("2026-01-02")'], ['> date("2026-01-01")'], None),
    (["not([1..10])"], ["> 10"], [Decimal(11)]),
    (["< x"], ["5"], None),  # not simple: skipped
    (["? > 3"], ["5"], None),  # not simple: skipped
])
def test_overlap_of_simple_entries(first: list[str], second: list[str], example: list[object] | None) -> None:
    assert overlap(first, second) == example


def test_overlapping_pairs_numbers_rules_from_one() -> None:
    rules = [["< 5", "-"], [">= 5", '"a"'], ["[5..7]", '"a","b"'], ["> 7", '"b"']]
    assert overlapping_pairs(rules) == [(2, 3, [Decimal(5), "a"])]


# --- the requirements graph ----------------------------------------------------------------------


def test_find_cycles() -> None:
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": ["a"]}) == [["a", "a"]]
    assert find_cycles({"a": ["b"], "b": [], "c": ["b"]}) == []


def test_a_cycle_of_decisions_is_an_error_naming_it() -> None:
    body = """<decision id="a" name="A"><informationRequirement><requiredDecision href="#b"/></informationRequirement>
<literalExpression><text>B</text></literalExpression></decision>
<decision id="b" name="B"><informationRequirement><requiredDecision href="#a"/></informationRequirement>
<literalExpression><text>A</text></literalExpression></decision>"""
    [problem] = lint(body)
    assert str(problem) == ('line 3, decision "A": cycle in the requirements: A -> B -> A (a decision cannot need '
                            "itself; remove one of these requirements)")


def test_a_requirement_to_nothing_is_an_error() -> None:
    body = table(GOOD).replace('href="#i_kind"', 'href="#i_knd"')
    problems = lint(body)
    assert any(p.message == "required input points to `#i_knd`, which is not in the file" and p.decision == "Grant"
               for p in problems)


# --- literal outputs against types and allowed values -------------------------------------------


def test_an_output_outside_the_outputs_values() -> None:
    body = table(GOOD, output='<outputValues><text>0, 10, 50</text></outputValues>')
    [problem] = lint(body)
    assert str(problem).endswith('rule 2, column 1: output entry `100` is not one of the allowed values `0, 10, 50` '
                                 "(use one of the allowed values, or add it to the output's values or the item "
                                 "definition)")


def test_an_output_of_the_wrong_type_and_against_an_item_definition() -> None:
    items = ('<itemDefinition name="tLevel"><typeRef>string</typeRef><allowedValues><text>"low","high"</text>'
             '</allowedValues></itemDefinition>')
    body = items + table([("< 18", '"a"', '"low"'), (">= 18", '"a"', '"mid"'), ("-", '"b"', "3")],
                         ).replace('name="amount" typeRef="number"', 'name="amount" typeRef="tLevel"')
    problems = lint(body)
    assert [p.message for p in problems] == [
        'output entry `"mid"` is not one of the allowed values `"low","high"`',
        "output entry `3` is not a string (the output's type is tLevel)",
    ]
    assert [p.rule for p in problems] == [2, 3]


def test_a_default_output_of_the_wrong_type() -> None:
    [problem] = lint(table(GOOD, output='<defaultOutputEntry><text>"none"</text></defaultOutputEntry>'))
    assert problem.message == "default output `\"none\"` is not a number (the output's type is number)"
    assert problem.rule is None and problem.column == 1


# --- table structure -----------------------------------------------------------------------------


def test_a_table_without_rules() -> None:
    [problem] = lint(table([]))
    assert (problem.severity, problem.message, problem.decision) == ("warning", "the decision table has no rules",
                                                                     "Grant")


def test_an_input_entry_count_that_does_not_match() -> None:
    body = table(GOOD).replace('<inputEntry id="r2k"><text>"a","b"</text></inputEntry>', "")
    [problem] = lint(body)
    assert str(problem).endswith("rule 2: 1 input entry for 2 input columns (each rule needs one input entry per "
                                 "input column; `-` matches anything)")


@pytest.mark.parametrize(("policy", "head", "message"), [
    ("UNIQE", "", "hit policy `UNIQE` is not in the standard"),
    ("FIRST", ' aggregation="SUM"', "aggregation SUM on a FIRST table"),
    ("COLLECT", ' aggregation="AVG"', "aggregation `AVG` is not in the standard"),
])
def test_hit_policy_and_aggregation(policy: str, head: str, message: str) -> None:
    [problem] = lint(table(GOOD, policy=policy, head=head))
    assert problem.message == message and problem.element == "t" and problem.severity == "error"


def test_not_a_dmn_file() -> None:
    assert [str(p) for p in lint_dmn(b"<definitions><x>", "x.dmn")][0].startswith("line 1: not well-formed XML")
    assert lint_dmn(b"<bpmn/>", "x.dmn")[0].message == "the root element is <bpmn>, not a DMN <definitions>"


# --- real files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "count"), [(2, 28), (3, 98)])
def test_tck_models_have_no_errors(conformance, level: int, count: int) -> None:  # type: ignore[no-untyped-def]
    files = sorted((conformance / "dmn-tck" / "TestCases" / f"compliance-level-{level}").glob("*/*.dmn"))
    assert len(files) >= count
    found = [f"{path.name}: {p}" for path in files for p in lint_dmn(path.read_bytes(), path.name)
             if p.severity == "error"]
    assert found == []


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.dmn")), ids=lambda path: path.name)
def test_workflow_decisions_have_no_errors(path) -> None:  # type: ignore[no-untyped-def]
    assert [str(p) for p in lint_dmn(path.read_bytes(), path.name) if p.severity == "error"] == []


def test_what_the_model_reader_refuses_is_an_error_too() -> None:
    body = table(GOOD) + '\n<decision id="grant" name="Again"><literalExpression><text>1</text></literalExpression>' \
        "</decision>"
    [problem] = lint(body)
    assert problem.severity == "error" and problem.message == "two elements have the id 'grant'"
    assert problem.line == line_of(definitions(body), 'name="Again"')


def test_bkm_parameters_required_knowledge_and_imports_are_in_scope() -> None:
    body = ('<import name="lib" namespace="http://example.org/lib" importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'
            '<businessKnowledgeModel id="b" name="double"><encapsulatedLogic><formalParameter name="x"/>'
            '<literalExpression><text>x * 2 + lib.rate</text></literalExpression></encapsulatedLogic>'
            '</businessKnowledgeModel>'
            '<decision id="x" name="X"><informationRequirement><requiredDecision href="http://example.org/lib#d"/>'
            '</informationRequirement><knowledgeRequirement><requiredKnowledge href="#b"/></knowledgeRequirement>'
            '<literalExpression><text>double(3) + lib.d + y</text></literalExpression></decision>')
    assert [p.message for p in lint(body)] == ["literal expression: unknown name `y` in `double(3) + lib.d + y`"]
    unimported = body.replace("http://example.org/lib#d", "http://example.org/other#d")
    assert "required decision points to namespace http://example.org/other, which no <import> names" in [
        p.message for p in lint(unimported)]


def test_input_entries_that_can_never_match_are_warnings() -> None:
    body = table([("< 18", '"a"', "0"), ('"18"', '"b"', "1"), ("[30..20]", '"b"', "2"), (">= 65", '"z"', "3")])
    body = body.replace('<inputExpression id="e2" typeRef="string"><text>kind</text></inputExpression>',
                        '<inputExpression id="e2" typeRef="string"><text>kind</text></inputExpression>'
                        '<inputValues><text>"a", "b"</text></inputValues>')
    problems = lint(body)
    assert [(p.severity, p.rule, p.column, p.message) for p in problems] == [
        ("warning", 2, 1, 'input entry `"18"` tests string values, but the input is a number: the rule never matches'),
        ("warning", 3, 1, "input entry `[30..20]` matches no value"),
        ("warning", 4, 2, 'input entry `"z"` matches none of the input\'s allowed values'),
    ]


def _random_entry(chance: random.Random) -> str:
    def atom() -> str:
        low, high = sorted([chance.randint(0, 10), chance.randint(0, 10)])
        return chance.choice([str(low), f"{chance.choice(['<', '<=', '>', '>=', '!='])} {low}",
                              f"{chance.choice('[(]')}{low}..{high}{chance.choice('])[')}", f"(< {high})",
                              f"[{low}, {high}]"])
    entry = ", ".join(atom() for _ in range(chance.randint(1, 2)))
    return f"not({entry})" if chance.random() < 0.25 else entry


def test_overlap_never_misses_what_brute_force_finds() -> None:
    """Random simple numeric entries: when two can both match some value of a fine grid, overlap finds
    an example (and any example it gives is checked by FEEL itself)."""
    chance = random.Random(16)
    grid = [Decimal(n) / 4 for n in range(-8, 50)]
    checked = 0
    for _ in range(400):
        first, second = _random_entry(chance), _random_entry(chance)
        try:
            both = [v for v in grid if feel.unary_test(first, v) and feel.unary_test(second, v)]
        except feel.FeelSyntaxError:
            continue  # `not(< 5, (1..3])`: FEEL's not() with a half-open range among several tests
        checked += 1
        example = overlap([first], [second])
        assert (example is not None) == bool(both), (first, second, both[:3])
    assert checked > 300
