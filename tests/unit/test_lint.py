"""The linter: located problems for bad files, a clean bill for good ones, never a traceback."""

from __future__ import annotations

import re

import pytest

from pathways.engine.definitions import SourceFile, collect
from pathways.engine.lint import lint
from pathways.engine.lint_dmn import _mark_input
from tests.helpers import FIXTURES, WORKFLOWS

INTAKE = (WORKFLOWS / "intake_referral.bpmn").read_text()


def lint_text(roles, text: str, name: str = "case.bpmn"):
    return lint([SourceFile(name, text.encode())], roles)


def errors(problems):
    return [p for p in problems if p.severity == "error"]


def test_seed_workflows_are_clean(roles):
    assert errors(lint(collect([WORKFLOWS]), roles)) == []


@pytest.mark.parametrize(("change", "element", "fragment"), [
    (("PT72H", "PT72"), "crisis_overdue", "PT72"),
    (("recommendation == 'positive'", "recommendation = = 'x'"), "flow_ready_to_career_plan", "SyntaxError"),
    (("recommendation == 'positive'", "__import__('os').system('id')"), "flow_ready_to_career_plan", "_"),
    (("recommendation == 'positive'", "${approved}"), "flow_ready_to_career_plan", "JUEL"),
    (('name="Psycholog (OPS)"', 'name="Psycholog"'), "lane_ops_psychologist", "ambiguous"),
    (('name="Doradca zawodowy (PUP)"', 'name="Księgowość"'), "lane_pup_career_adviser", "no known role"),
    (('camunda:candidateGroups="supervision.supervisor"', 'camunda:candidateGroups="janitor"'),
     "escalate_overdue", "janitor"),
    ((' default="flow_ready_to_follow_up"', ""), "flow_ready_to_follow_up", "no condition"),
    (('camunda:priority="80"', 'camunda:priority="high"'), "crisis_intervention", "priority"),
    (('camunda:dueDate="PT72H"', 'camunda:dueDate="P3X"'), "crisis_intervention", "dueDate"),
    (('id="risk_level"', 'id="type"'), "identify", "'type'"),
])
def test_each_problem_is_located(roles, change, element, fragment):
    old, new = change
    assert old in INTAKE
    problems = errors(lint_text(roles, INTAKE.replace(old, new)))
    matching = [p for p in problems if p.element == element and fragment in p.message]
    assert matching, [str(p) for p in problems]
    assert matching[0].file == "case.bpmn" and matching[0].line and matching[0].hint


REFERENCES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="refs" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:callActivity id="call" calledElement="nowhere" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="decide" />
    <bpmn:businessRuleTask id="decide" camunda:decisionRef="no_table" />
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_unresolved_references(roles):
    problems = errors(lint_text(roles, REFERENCES))
    assert any("nowhere" in p.message and p.element == "call" and p.line == 7 for p in problems), problems
    assert any("no_table" in p.message and p.element == "decide" for p in problems), problems


@pytest.mark.parametrize(("content", "fragment"), [
    (b"<bpmn:definitions", "not well-formed"),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", "DOCTYPE"),
    (b"<html><body>not bpmn</body></html>", "not a BPMN"),
    (b"x" * (5 * 1024 * 1024 + 1), "limit"),
])
def test_unreadable_files(roles, content, fragment):
    [problem] = lint([SourceFile("bad.bpmn", content)], roles)
    assert fragment in problem.message and problem.file == "bad.bpmn"


def test_script_task_sandbox_refusals_are_reported(roles):
    problems = errors(lint(collect([FIXTURES / "broken_script.bpmn"]), roles))
    assert problems == []  # a runtime division by zero is not a lint error
    text = (FIXTURES / "broken_script.bpmn").read_text().replace("per_session = hours / sessions",
                                                                    "import os\nos.system('rm -rf /')")
    problems = errors(lint_text(roles, text))
    assert any(p.element == "divide" and "import" in p.message.lower() for p in problems), problems


def test_conformance_files_are_loaded_or_rejected_with_located_messages(roles, conformance):
    corpus = conformance / "files"
    files = collect([corpus])
    assert len(files) == 113
    problems = lint(files, roles)  # must not raise, whatever the files contain
    for problem in problems:
        assert problem.file.startswith(str(corpus)), problem
        assert problem.line or problem.element, f"unlocated: {problem}"
        assert "Traceback" not in problem.message and "could not be checked" not in problem.message, problem
        assert re.match(r"^\S+(:\d+)?: ", str(problem)), problem
    rejected = {p.file for p in errors(problems)}
    loaded = {f.filename for f in files} - rejected
    assert len(rejected) > 50 and len(loaded) > 10  # many are other engines' dialects; some run as they are


def test_fixture_pathways_are_clean(roles):
    assert [str(p) for p in errors(lint(collect([FIXTURES]), roles))] == []


def test_an_element_id_reused_by_an_enum_value_is_reported(roles, tmp_path):
    text = (FIXTURES / "measures.bpmn").read_text().replace(
        '<camunda:formField id="found_job" label="Znaleziono pracę" type="boolean" />',
        '<camunda:formField id="result" label="Wynik" type="enum"><camunda:value id="employed" name="Praca" />'
        '</camunda:formField>')
    path = tmp_path / "clash.bpmn"
    path.write_text(text)
    problems = errors(lint(collect([path]), roles))
    assert any(p.element == "employed" and "also used by: value on line" in p.message for p in problems)


def test_dmn_expressions_are_checked_with_the_sandbox_rules(roles):
    dmn = (FIXTURES / "instruments.dmn").read_text()
    assert errors(lint([SourceFile("instruments.dmn", dmn.encode())], roles)) == []
    hostile = (dmn.replace("len(instruments)", "__import__('os').getpid()")
               .replace("&gt;= 2", "&gt;= open('/etc/passwd')")
               .replace("<text>False</text>", "<text>().__class__</text>"))
    problems = errors(lint([SourceFile("instruments.dmn", hostile.encode())], roles))
    found = {(p.element, p.message.split(":")[0]) for p in problems}
    assert ("expr_count", "inputExpression") in found and ("entry_enough", "inputEntry") in found
    assert ("out_too_few", "outputEntry") in found
    assert all(p.line for p in problems)
    # entries as SpiffWorkflow reads them: a comparison to complete, a value, a `?` for the input
    ok = dmn.replace("&gt;= 2", "'high'").replace("&lt; 2", "? &lt; 2 and ? != 7")
    assert errors(lint([SourceFile("instruments.dmn", ok.encode())], roles)) == []


def test_an_overlong_dmn_entry_is_refused_without_running_a_slow_pattern(roles):
    """`'?' * N + "'"` made SpiffWorkflow's entry pattern (and the old lint) take time ~N²: 11 s at
    N = 16,000, holding the GIL. Lint refuses entries over the limit, and marks `?` in one pass."""
    dmn = (FIXTURES / "instruments.dmn").read_text()
    hostile = dmn.replace("&gt;= 2", "?" * 200_000 + "&apos;")
    problems = errors(lint([SourceFile("instruments.dmn", hostile.encode())], roles))
    assert [(p.element, p.message.split(" is ")[0]) for p in problems if "over the limit" in p.message] == [
        ("entry_enough", "inputEntry")]
    assert _mark_input("? > 1 and '?' != ?") == "dmninputexpr > 1 and '?' != dmninputexpr"


def test_a_feel_cell_that_does_not_parse_is_located_by_file_line_decision_rule_and_column(roles):
    dmn = (WORKFLOWS / "domestic_violence_women_eligibility.dmn").read_text(encoding="utf-8")
    broken = dmn.replace('<text>"other"</text>', '<text>"other</text>', 1)
    problems = errors(lint([SourceFile("eligibility.dmn", broken.encode())], roles))
    [problem] = problems
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if '"other</text>' in text)
    assert (problem.file, problem.line) == ("eligibility.dmn", line)
    assert problem.message.startswith('decision "Czy uczestniczka spełnia kryteria projektu?", rule 4, column 3:')
    assert "FEEL" in problem.message and problem.hint
