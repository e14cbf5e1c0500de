"""Timers: literal ISO 8601 detection, due-time arithmetic, and real SpiffWorkflow runs on a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser, full_tag
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
)
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from pathways.base import clock
from pathways.engine.timers import (
    TIMER_CONVERTERS,
    CycleTimer,
    DurationTimer,
    TimeDateTimer,
    as_expression,
    check_timer_text,
    due_time,
    is_iso_literal,
    make_timer_definition,
    parse_timer_value,
)

START = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _system_clock_afterwards() -> Iterator[None]:
    yield
    clock.set_source(None)


# --- literal detection -------------------------------------------------------------------------------

LITERALS = [
    "PT72H", "P6M", "P1Y2M", "P1W", "P2DT3H4M5S", "PT1.5H", "PT0,5S", "pt72h",
    "2026-12-01T09:00:00Z", "2026-12-01", "2026-12-01T09:00:00+02:00", "2026-12-01T09:00", "2026-W49-1",
    "R3/PT1H", "R/P1D", "R2/2026-12-01T09:00:00Z/PT1H", "R/2026-12-01/2026-12-08",
]
EXPRESSIONS = [
    "internship_end", '"P%dM" % months', "f'PT{hours}H'", "deadline.isoformat()", "'PT72H'",
    "P", "PT", "PT72", "72H", "R/", "tomorrow", "20261201", "P1.5M", "R3/PT1H/PT2H", "",
]


@pytest.mark.parametrize("text", LITERALS)
def test_literals_are_quoted(text: str) -> None:
    assert is_iso_literal(text)
    assert as_expression(text) == repr(text)
    assert eval(as_expression(text)) == text


def test_surrounding_whitespace_is_dropped_from_a_literal() -> None:
    assert as_expression("  PT72H\n") == "'PT72H'"


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_everything_else_is_left_alone(text: str) -> None:
    assert not is_iso_literal(text)
    assert as_expression(text) == text


# --- parse_timer_value ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("duration", "PT72H", START + timedelta(hours=72)),
        ("duration", "P1W2D", START + timedelta(days=9)),
        ("duration", "PT1.5H", START + timedelta(minutes=90)),
        ("duration", "P1M", datetime(2026, 2, 28, 10, tzinfo=UTC)),  # clamped to the month's end
        ("duration", "P6M", datetime(2026, 7, 31, 10, tzinfo=UTC)),
        ("duration", "P1Y", datetime(2027, 1, 31, 10, tzinfo=UTC)),
        ("duration", "P1Y1M", datetime(2027, 2, 28, 10, tzinfo=UTC)),
        ("duration", "P1MT2H", datetime(2026, 2, 28, 12, tzinfo=UTC)),  # months first, then time
        ("date", "2026-12-01T09:00:00Z", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("date", "2026-12-01T09:00:00+02:00", datetime(2026, 12, 1, 7, tzinfo=UTC)),
        ("date", "2026-12-01T09:00:00", datetime(2026, 12, 1, 9, tzinfo=UTC)),  # naive means UTC
        ("date", "2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("cycle", "R3/PT1H", START + timedelta(hours=1)),
        ("cycle", "R/P1D", START + timedelta(days=1)),
        ("cycle", "R2/2026-12-01T09:00:00Z/PT1H", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("cycle", "R/2026-12-01/2026-12-08", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_first_due_time(kind: str, value: str, expected: datetime) -> None:
    due = parse_timer_value(kind, value, START)
    assert due == expected
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)


def test_month_arithmetic_handles_leap_years_and_year_wrap() -> None:
    leap = datetime(2028, 1, 31, tzinfo=UTC)
    assert parse_timer_value("duration", "P1M", leap) == datetime(2028, 2, 29, tzinfo=UTC)
    wrap = datetime(2026, 8, 31, tzinfo=UTC)
    assert parse_timer_value("duration", "P6M", wrap) == datetime(2027, 2, 28, tzinfo=UTC)
    assert parse_timer_value("duration", "P12M", START) == parse_timer_value("duration", "P1Y", START)


def test_start_with_another_zone_or_none_is_treated_consistently() -> None:
    paris = timezone(timedelta(hours=1))
    assert parse_timer_value("duration", "PT1H", START.astimezone(paris)) == START + timedelta(hours=1)
    assert parse_timer_value("duration", "PT1H", START.replace(tzinfo=None)) == START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("duration", "P"), ("duration", "PT"), ("duration", "72H"), ("duration", "PT72"),
        ("duration", "P1.5M"),
        ("duration", "tomorrow"), ("duration", "2026-12-01"), ("duration", "P9999Y"),
        ("date", "tomorrow"), ("date", "PT72H"), ("date", "2026-13-01"), ("date", "20261201"),
        ("cycle", "R/"), ("cycle", "PT1H"), ("cycle", "R3/PT1H/PT2H"), ("cycle", "R/PT0S"),
        ("cycle", "R/PT1H/2026-12-01T09:00:00Z"), ("cycle", "R/2026-12-08/2026-12-01"),
    ],
)
def test_invalid_values_raise_value_error(kind: str, value: str) -> None:
    with pytest.raises(ValueError, match="timeD|timeC"):
        parse_timer_value(kind, value, START)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown timer kind"):
        parse_timer_value("cron", "PT1H", START)
    with pytest.raises(ValueError, match="unknown timer kind"):
        make_timer_definition("cron", "t", "PT1H")


# --- check_timer_text ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("duration", "PT72H"), ("duration", " P6M "), ("duration", "P1Y2M"), ("duration", '"P%dM" % months'),
        ("date", "2026-12-01T09:00:00Z"), ("date", "2026-12-01"), ("date", "internship_end"),
        ("cycle", "R3/PT1H"), ("cycle", "R/P1D"), ("cycle", "R2/2026-12-01T09:00:00Z/PT1H"),
        ("cycle", "reminder_cycle"),
    ],
)
def test_check_accepts_literals_and_expressions(kind: str, text: str) -> None:
    assert check_timer_text(kind, text) is None


def test_check_reports_malformed_iso() -> None:
    expected = "timeDuration {!r} is not ISO 8601 (expected e.g. PT72H, P6M)"
    assert check_timer_text("duration", "PT72") == expected.format("PT72")
    assert check_timer_text("duration", "72H") == expected.format("72H")
    for kind, text in [("duration", "P"), ("duration", "PT"), ("cycle", "R/"), ("date", "2026-13-01"),
                       ("cycle", "R3/PT1H/PT2H"), ("date", "1 Dec 2026")]:
        message = check_timer_text(kind, text)
        assert message is not None and "is not ISO 8601" in message, (kind, text, message)


def test_check_reports_a_literal_of_the_wrong_kind() -> None:
    message = check_timer_text("duration", "2026-12-01")
    assert message is not None and message.startswith("timeDuration '2026-12-01' is an ISO 8601 date")
    assert check_timer_text("cycle", "PT1H") is not None
    assert check_timer_text("date", "R/P1D") is not None


def test_check_reports_empty_text_and_unsupported_cycle_form() -> None:
    assert check_timer_text("date", "  ") == "timeDate is empty"
    message = check_timer_text("cycle", "R/PT1H/2026-12-01T09:00:00Z")
    assert message is not None and "unsupported" in message


def test_make_timer_definition_picks_the_class_and_quotes_literals() -> None:
    definition = make_timer_definition("duration", "Deadline", "PT72H", "Timer")
    assert isinstance(definition, DurationTimer)
    assert (definition.name, definition.description) == ("Deadline", "Timer")
    assert definition.expression == "'PT72H'"
    assert isinstance(make_timer_definition("date", "d", "internship_end"), TimeDateTimer)
    assert make_timer_definition("date", "d", "internship_end").expression == "internship_end"
    assert isinstance(make_timer_definition("cycle", "c", "R/P1D"), CycleTimer)


# --- real workflows ------------------------------------------------------------------------------------

class _TimerParsing:
    """Stand-in for the lead's parser: timer elements become our timer classes."""

    def parse_timer_event(self: Any, event: Any) -> Any:
        name = self.node.get("name", self.node.get("id"))
        for kind, tag in (("date", "timeDate"), ("duration", "timeDuration"), ("cycle", "timeCycle")):
            node = first(self.xpath(f".//bpmn:{tag}"))
            if node is not None:
                return make_timer_definition(kind, name, node.text or "", self.get_event_description(event))
        raise ValidationException("Unknown Time Specification", node=self.node, file_name=self.filename)


class _CatchParser(_TimerParsing, CamundaIntermediateCatchEventParser):
    pass


class _BoundaryParser(_TimerParsing, CamundaBoundaryEventParser):
    pass


class _Parser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("intermediateCatchEvent"): (_CatchParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (_BoundaryParser, BoundaryEvent),
    }


def _timer(tag: str, text: str) -> str:
    return f"<bpmn:timerEventDefinition><bpmn:{tag}>{text}</bpmn:{tag}></bpmn:timerEventDefinition>"


def _flow(*ids: str) -> str:
    pairs = zip(ids, ids[1:], strict=False)
    return "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs)


def _boundary(bpmn_id: str, attached_to: str, interrupting: bool, tag: str, text: str) -> str:
    cancel = "true" if interrupting else "false"
    return (f'<bpmn:boundaryEvent id="{bpmn_id}" attachedToRef="{attached_to}" cancelActivity="{cancel}">'
            f"{_timer(tag, text)}</bpmn:boundaryEvent>")


def _catch(bpmn_id: str, tag: str, text: str) -> str:
    return f'<bpmn:intermediateCatchEvent id="{bpmn_id}">{_timer(tag, text)}</bpmn:intermediateCatchEvent>'


def _workflow(body: str) -> BpmnWorkflow:
    parser = _Parser()
    parser.add_bpmn_str(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="p" isExecutable="true">'
        f"{body}</bpmn:process></bpmn:definitions>"
    )
    workflow = BpmnWorkflow(parser.get_spec("p"))
    workflow.do_engine_steps()
    return workflow


def _task(workflow: BpmnWorkflow, spec_name: str) -> Any:
    (task,) = workflow.get_tasks(spec_name=spec_name)
    return task


def _ready(workflow: BpmnWorkflow) -> list[str]:
    return sorted(t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY))


def _tick(workflow: BpmnWorkflow, frozen: clock.FrozenClock, **delta: float) -> None:
    frozen.advance(**delta)
    workflow.refresh_timers()
    workflow.do_engine_steps()


def _serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **TIMER_CONVERTERS}))


BOUNDARY_DEADLINE = (
    '<bpmn:startEvent id="start"/><bpmn:userTask id="review"/><bpmn:endEvent id="done"/>'
    + _boundary("deadline", "review", True, "timeDuration", "{}")
    + '<bpmn:userTask id="escalate"/><bpmn:endEvent id="late"/>'
    + _flow("start", "review", "done") + _flow("deadline", "escalate", "late")
)


def _reminders(cycle: str) -> BpmnWorkflow:
    return _workflow(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work"/><bpmn:endEvent id="done"/>'
        + _boundary("nudge", "work", False, "timeCycle", cycle)
        + '<bpmn:userTask id="remind"/><bpmn:endEvent id="reminded"/>'
        + _flow("start", "work", "done") + _flow("nudge", "remind", "reminded")
    )


def test_interrupting_boundary_duration_fires_exactly_at_due_time() -> None:
    frozen = clock.FrozenClock(START).install()
    workflow = _workflow(BOUNDARY_DEADLINE.format("PT72H"))
    deadline = _task(workflow, "deadline")
    assert deadline.state == TaskState.WAITING
    assert isinstance(deadline.task_spec.event_definition, DurationTimer)
    assert due_time(deadline) == START + timedelta(hours=72)
    assert due_time(_task(workflow, "review")) is None  # not a timer

    _tick(workflow, frozen, hours=71, minutes=59)
    assert _ready(workflow) == ["review"]
    assert deadline.state == TaskState.WAITING

    _tick(workflow, frozen, minutes=1)
    assert _ready(workflow) == ["escalate"]
    assert _task(workflow, "review").state == TaskState.CANCELLED
    assert due_time(deadline) is None  # no longer waiting


def test_duration_expression_is_still_evaluated_as_python() -> None:
    frozen = clock.FrozenClock(START).install()
    body = BOUNDARY_DEADLINE.format("&quot;PT%dH&quot; % hours").replace(
        '<bpmn:startEvent id="start"/>',
        '<bpmn:startEvent id="start"/><bpmn:scriptTask id="setup" scriptFormat="python">'
        "<bpmn:script>hours = 48</bpmn:script></bpmn:scriptTask>",
    ).replace('sourceRef="start" targetRef="review"', 'sourceRef="start" targetRef="setup"')
    body += _flow("setup", "review")
    workflow = _workflow(body)
    assert due_time(_task(workflow, "deadline")) == START + timedelta(hours=48)
    _tick(workflow, frozen, hours=48)
    assert _ready(workflow) == ["escalate"]


def test_intermediate_catch_six_months_follows_the_calendar() -> None:
    start = datetime(2026, 8, 31, 12, tzinfo=UTC)
    frozen = clock.FrozenClock(start).install()
    workflow = _workflow(
        '<bpmn:startEvent id="start"/>' + _catch("wait", "timeDuration", "P6M")
        + '<bpmn:userTask id="follow_up"/><bpmn:endEvent id="end"/>'
        + _flow("start", "wait", "follow_up", "end")
    )
    wait = _task(workflow, "wait")
    due = datetime(2027, 2, 28, 12, tzinfo=UTC)
    assert due_time(wait) == due
    assert wait.internal_data["event_value"] == due.isoformat()  # SpiffWorkflow's convention, in UTC

    _tick(workflow, frozen, seconds=(due - start).total_seconds() - 1)
    assert _ready(workflow) == []
    _tick(workflow, frozen, seconds=1)
    assert _ready(workflow) == ["follow_up"]


def test_naive_time_date_from_an_expression_is_utc() -> None:
    frozen = clock.FrozenClock(START).install()
    workflow = _workflow(
        '<bpmn:startEvent id="start"/><bpmn:scriptTask id="setup" scriptFormat="python">'
        "<bpmn:script>deadline = '2026-02-01T09:00:00'</bpmn:script></bpmn:scriptTask>"
        + _catch("wait", "timeDate", "deadline") + '<bpmn:userTask id="after"/><bpmn:endEvent id="end"/>'
        + _flow("start", "setup", "wait", "after", "end")
    )
    assert due_time(_task(workflow, "wait")) == datetime(2026, 2, 1, 9, tzinfo=UTC)
    _tick(workflow, frozen, hours=23)
    assert _ready(workflow) == ["after"]


def test_non_interrupting_cycle_fires_each_repetition_then_stops() -> None:
    frozen = clock.FrozenClock(START).install()
    workflow = _reminders("R2/PT1H")
    nudge = _task(workflow, "nudge")
    assert isinstance(nudge.task_spec.event_definition, CycleTimer)
    assert due_time(nudge) == START + timedelta(hours=1)

    _tick(workflow, frozen, minutes=59)
    assert _ready(workflow) == ["work"]
    _tick(workflow, frozen, minutes=1)
    assert _ready(workflow) == ["remind", "work"]
    assert nudge.internal_data["event_value"]["cycles"] == 1
    assert due_time(nudge) == START + timedelta(hours=2)
    _tick(workflow, frozen, hours=1)
    assert _ready(workflow) == ["remind", "remind", "work"]
    assert due_time(nudge) is None  # repetitions used up
    _tick(workflow, frozen, hours=5)
    assert _ready(workflow) == ["remind", "remind", "work"]


def test_serialization_round_trip_keeps_timer_classes_and_due_time() -> None:
    frozen = clock.FrozenClock(START).install()
    workflow = _workflow(BOUNDARY_DEADLINE.format("PT72H"))
    serializer = _serializer()
    restored = serializer.deserialize_json(serializer.serialize_json(workflow))

    deadline = _task(restored, "deadline")
    assert type(deadline.task_spec.event_definition) is DurationTimer
    assert deadline.task_spec.event_definition.expression == "'PT72H'"
    assert due_time(deadline) == START + timedelta(hours=72)

    _tick(restored, frozen, hours=71, minutes=59)
    assert _ready(restored) == ["review"]
    _tick(restored, frozen, minutes=1)
    assert _ready(restored) == ["escalate"]


def test_serialization_round_trip_of_a_cycle_in_progress() -> None:
    frozen = clock.FrozenClock(START).install()
    workflow = _reminders("R/P1D")
    _tick(workflow, frozen, days=1)
    serializer = _serializer()
    restored = serializer.deserialize_json(serializer.serialize_json(workflow))
    nudge = _task(restored, "nudge")
    assert type(nudge.task_spec.event_definition) is CycleTimer
    assert due_time(nudge) == START + timedelta(days=2)
    assert nudge.internal_data["event_value"]["cycles"] == -1


@pytest.mark.parametrize(
    ("text", "message"),
    [("72", "gave int, not ISO 8601 text"), ("'PT72'", "timeDuration 'PT72' is not ISO 8601")],
)
def test_bad_value_from_an_expression_fails_when_the_timer_starts(text: str, message: str) -> None:
    clock.FrozenClock(START).install()
    with pytest.raises(ValueError, match=message):
        _workflow(BOUNDARY_DEADLINE.format(text))
