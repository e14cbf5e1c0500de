"""The script sandbox: ordinary scripts work, escapes and resource bombs are refused."""

from __future__ import annotations

import sys
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from pathways.engine.errors import ScriptError
from pathways.engine.sandbox import SandboxEnvironment, check_source, make_script_engine


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment(time_limit=0.2)


def run(env: SandboxEnvironment, script: str, **data: Any) -> dict[str, Any]:
    env.execute(script, data)
    return data


# --- ordinary scripts -------------------------------------------------------------------------------------


def test_script_mutates_task_data_in_place(env: SandboxEnvironment) -> None:
    data = {"plan": {"items": ["a"]}, "n": 3}
    env.execute("plan['items'].append('b')\nplan['owner'] = 'ngo'\ntotal = n * 2 + 1", data)
    assert data == {"plan": {"items": ["a", "b"], "owner": "ngo"}, "n": 3, "total": 7}


def test_control_flow_comprehensions_and_strings(env: SandboxEnvironment) -> None:
    script = """
scores = [3, 8, 5]
high = [s for s in scores if s > 4]
by_name = {name.upper(): len(name) for name in ['ana', 'bo']}
label = ''
for i, s in enumerate(scores):
    if s >= 8:
        label = f'#{i}: {s:>3}|{s / 4:.2f}'
count = 0
while count < 5:
    count += 1
ok = 1 < count <= 5 and 'bo' in ['ana', 'bo'] and not any(s > 10 for s in scores)
words = ' Hello World '.strip().lower().split(' ')
a, (b, c) = 1, (2, 3)
"""
    data = run(env, script)
    assert data["high"] == [8, 5]
    assert data["by_name"] == {"ANA": 3, "BO": 2}
    assert data["label"] == "#1:   8|2.00"
    assert data["count"] == 5 and data["ok"] is True
    assert data["words"] == ["hello", "world"]
    assert (data["a"], data["b"], data["c"]) == (1, 2, 3)


def test_augmented_item_assignment_and_helpers(env: SandboxEnvironment) -> None:
    script = """
counts = {'open': 1}
counts['open'] += 2
counts['tags'] = ['x']
counts['tags'] += ['y']
due = (datetime(2024, 1, 30) + timedelta(days=3)).date().isoformat()
parsed = datetime.strptime('02/01/2024', '%d/%m/%Y').strftime('%Y-%m-%d')
fee = Decimal('10.10') * 3
is_dec = isinstance(fee, Decimal)
ranked = sorted([('b', 2), ('a', 1)], key=lambda pair: pair[1])
stats = [min(1, 2), max([4, 5]), sum(range(4)), abs(-2), round(2.567, 1), int('7'), float('1.5')]
kinds = [str(1), bool(0), list((1,)), dict(a=1), set([1, 1]), tuple([1]), list(zip([1], [2]))]
"""
    data = run(env, script)
    assert data["counts"] == {"open": 3, "tags": ["x", "y"]}
    assert data["due"] == "2024-02-02" and data["parsed"] == "2024-01-02"
    assert data["fee"] == Decimal("30.30") and data["is_dec"] is True
    assert data["ranked"] == [("a", 1), ("b", 2)]
    assert data["stats"] == [1, 5, 6, 2, 2.6, 7, 1.5]
    assert data["kinds"] == ["1", False, [1], {"a": 1}, {1}, (1,), [(1, 2)]]


def test_helpers_functions_and_print_do_not_leak_into_task_data(env: SandboxEnvironment) -> None:
    data = run(env, "def double(v):\n    return v * 2\ny = double(4)\nprint('debug', y)")
    assert data == {"y": 8}


def test_evaluate_conditions(env: SandboxEnvironment) -> None:
    data = {"x": 6, "name": "Bob", "flags": ["urgent"]}
    assert env.evaluate("x > 5 and name.lower() == 'bob'", data) is True
    assert env.evaluate("'urgent' in flags and x <= 5", data) is False
    assert env.evaluate("dmninputexpr * 2", data, external_context={"dmninputexpr": 4}) == 8
    assert "__builtins__" not in data


def test_runtime_errors_are_raised_as_they_are(env: SandboxEnvironment) -> None:
    with pytest.raises(ZeroDivisionError):
        env.execute("x = 1 / 0", {})
    with pytest.raises(KeyError):
        env.execute("x = {}['missing']", {})
    with pytest.raises(NameError):
        env.evaluate("undefined_name > 1", {})
    data: dict[str, Any] = {}
    with pytest.raises(ValueError):
        env.execute("try:\n    int('x')\nexcept KeyError:\n    pass", data)
    assert run(env, "try:\n    v = int('x')\nexcept ValueError:\n    v = 0")["v"] == 0


# --- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("import os", "Import"),
        ("from os import path", "ImportFrom"),
        ("__import__('os')", "__import__"),
        ("x = ().__class__.__bases__", "__class__"),
        ("open('/etc/passwd')", "open"),
        ("eval('1')", "eval"),
        ("exec('x = 1')", "exec"),
        ("getattr(x, 'y')", "getattr"),
        ("setattr(x, 'y', 1)", "setattr"),
        ("t = type(1)", "type"),
        ("g = globals()", "globals"),
        ("class A:\n    pass", "ClassDef"),
        ("try:\n    x = 1\nexcept:\n    pass", "except"),
        ("try:\n    x = 1\nfinally:\n    pass", "finally"),
        ("ValueError = KeyError", "ValueError"),
    ],
)
def test_forbidden_constructs_are_refused_before_running(
    env: SandboxEnvironment, source: str, named: str
) -> None:
    data: dict[str, Any] = {"x": 1}
    with pytest.raises(ScriptError) as caught:
        env.execute(source, data)
    assert named in caught.value.message
    assert caught.value.details["line"] is not None
    assert data == {"x": 1}


def test_refusal_reports_the_line(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptError) as caught:
        env.execute("x = 1\ny = 2\nimport os", {})
    assert caught.value.details["line"] == 3
    assert "Line 3" in caught.value.message


def test_str_format_is_refused_at_run_time(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptError, match=r"format.*line 1"):
        env.execute("s = '{0.__class__}'.format(1)", {})


class StepClock:
    """A clock that moves one second each time it is read: the sandbox's time limit becomes a budget
    of traced steps, the same on an idle machine and on a loaded one."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return float(self.reads)


#: a budget of 200 steps: the deadline is read 1 + 200, and the 202nd read is past it
STEPS = 200


@pytest.fixture
def counted() -> tuple[SandboxEnvironment, StepClock]:
    steps = StepClock()
    return SandboxEnvironment(time_limit=STEPS, clock=steps), steps


def test_infinite_loops_stop_at_the_limit(counted: tuple[SandboxEnvironment, StepClock]) -> None:
    env, steps = counted
    before = sys.gettrace()
    for script in ("while True: pass", "n = 0\nwhile True:\n    n += 1", "def f():\n    while 1: continue\nf()"):
        steps.reads = 0
        data: dict[str, Any] = {}
        with pytest.raises(ScriptError, match=r"exceeded the time limit of 200\.0 s"):
            env.execute(script, data)
        assert steps.reads == STEPS + 2  # stopped on the first step past the limit, not later
        assert "__builtins__" not in data and "f" not in data
        assert sys.gettrace() is before


def test_a_script_within_its_limit_is_not_stopped(counted: tuple[SandboxEnvironment, StepClock]) -> None:
    env, steps = counted
    data: dict[str, Any] = {}
    env.execute("n = 0\nfor i in range(40):\n    n += i", data)  # some 80 steps of a 200 budget
    assert data["n"] == sum(range(40)) and steps.reads <= STEPS


def test_the_real_clock_stops_an_infinite_loop(env: SandboxEnvironment) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptError, match=r"exceeded the time limit of 0\.2 s"):
        env.execute("while True: pass", {})
    assert time.monotonic() - started >= 0.2  # the limit is time, not a count, in production
    # and the loop did stop: pytest would hang otherwise; no upper bound a busy machine could break


def test_time_limit_works_in_a_worker_thread(counted: tuple[SandboxEnvironment, StepClock]) -> None:
    env, steps = counted
    errors: list[BaseException] = []

    def work() -> None:
        try:
            env.execute("while True:\n    pass", {})
        except BaseException as error:  # handed over to the main thread
            errors.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)  # a 200-step budget; the bound is only there so a bug cannot hang the suite
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ScriptError) and steps.reads == STEPS + 2


def test_timeout_cannot_be_swallowed_by_the_script(counted: tuple[SandboxEnvironment, StepClock]) -> None:
    env, steps = counted
    script = "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass"
    with pytest.raises(ScriptError, match="time limit") as caught:
        env.execute(script, {})
    assert steps.reads == STEPS + 2  # the `except` did not catch the timeout and loop on
    assert caught.value.details["line"] in (3, 4)


def test_default_time_limit_and_tracer_is_restored() -> None:
    engine = make_script_engine()
    assert engine.environment.time_limit == 1.0
    before = sys.gettrace()
    SandboxEnvironment(time_limit=0.1).evaluate("1 + 1", {})
    assert sys.gettrace() is before


@pytest.mark.parametrize(
    "script",
    [
        "x = 'x' * 10**10",
        "x = [0] * 10**10",
        "x = 10**10**10",
        "x = 1 << 10**9",
        "x = 'ab'\nx *= 10**10",
        "x = list(range(10**10))",
        "x = 'x'.ljust(10**10)",
        "x = '-'.join(['y' * 10**6] * 10**6)",
        "x = f'{1:>10000000000}'",
        "x = '%*d' % (10**10, 1)",
        "x = sum([[0] * 10**6] * 10**6, [])",
        "x = int(Decimal('1e999999'))",
    ],
)
def test_memory_and_cpu_bombs_are_refused_quickly(env: SandboxEnvironment, script: str) -> None:
    # A guard refuses before the operation runs. Unguarded, each of these would run for minutes or
    # take gigabytes inside one C call, where no time limit reaches; 10 s is far beyond a refusal
    # on any machine and far below any of them.
    started = time.monotonic()
    with pytest.raises(ScriptError, match="Refused"):
        env.execute(script, {})
    assert time.monotonic() - started < 10


def test_source_size_limit(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptError, match="64 KiB"):
        env.execute("x = 1\n" * 20_000, {})


# --- check_source -----------------------------------------------------------------------------------------


def test_check_source_accepts_good_code() -> None:
    assert check_source("x > 5 and status in ['open', 'new']", "eval") == []
    assert check_source("total = sum(i['amount'] for i in items)\nok = total > 0", "exec") == []


def test_check_source_reports_syntax_errors_with_line_numbers() -> None:
    problems = check_source("x = 1\ny = (", "exec")
    assert len(problems) == 1 and "SyntaxError" in problems[0] and problems[0].startswith("Line ")
    assert any("SyntaxError" in p for p in check_source("x = 1", "eval"))


def test_check_source_reports_forbidden_names_without_running() -> None:
    problems = check_source("import os\nvalue = open('/etc/passwd')\ny = x.__dict__", "exec")
    assert problems == [
        "Line 1: Import statements are not allowed.",
        'Line 2: "open" is not allowed in scripts.',
        'Line 3: "__dict__" is an invalid attribute name because it starts with "_".',
    ]
    assert check_source("while True: pass", "exec") == []  # loops are fine; the time limit handles them


# --- end to end with SpiffWorkflow ------------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
    <bpmn:scriptTask id="calc" scriptFormat="python"><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="to_big" sourceRef="gw" targetRef="big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x &gt; 5</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gw" targetRef="small">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x &lt;= 5</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="big"/>
    <bpmn:endEvent id="small"/>
  </bpmn:process>
</bpmn:definitions>
"""


def start_workflow(script: str, y: int) -> BpmnWorkflow:
    parser = CamundaParser()
    parser.add_bpmn_str(BPMN.replace("SCRIPT", script).encode())
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=make_script_engine())
    for task in workflow.get_tasks():
        if task.task_spec.name == "start":
            task.data["y"] = y
    return workflow


@pytest.mark.parametrize(("y", "branch"), [(4, "big"), (2, "small")])
def test_workflow_runs_script_task_and_gateway_in_sandbox(y: int, branch: str) -> None:
    workflow = start_workflow("x = y * 2", y)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    done = {t.task_spec.name: t for t in workflow.get_tasks(state=TaskState.COMPLETED)}
    other = "small" if branch == "big" else "big"
    assert branch in done and other not in done
    assert done[branch].data == {"y": y, "x": y * 2}


def test_workflow_script_with_import_fails_with_script_error() -> None:
    workflow = start_workflow("import os", 1)
    with pytest.raises(Exception) as caught:
        workflow.do_engine_steps()
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__ or getattr(error, "exception", None)
    assert any(isinstance(e, ScriptError) for e in chain), chain
