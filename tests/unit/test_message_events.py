"""Message and signal events in one case's workflow (no database): what a throw sends, what a catch waits for."""

from __future__ import annotations

import pytest

from pathways.engine.errors import MessageNotExpected
from pathways.engine.message_events import key_index, parse_correlation, split_fields
from pathways.engine.runtime import CaseRuntime
from tests.helpers import FIXTURES, load_definition, open_by_element
from tests.unit.test_lint_refusals import model, run

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '


def fixture(key):
    return load_definition(key, FIXTURES / f"{key}.bpmn")


def props(**values):
    inner = "".join(f'<camunda:property name="{k}" value="{v}"/>' for k, v in values.items())
    return f"<bpmn:extensionElements><camunda:properties>{inner}</camunda:properties></bpmn:extensionElements>"


def camunda(text):
    return text.replace('<bpmn:definitions ', f'<bpmn:definitions {CAMUNDA}', 1)


def test_a_send_task_sends_only_the_named_fields_and_its_key():
    runtime = CaseRuntime.start(fixture("m17_referral_sender"), {"beneficiary_pseudonym": "B-1", "pesel": "x"})
    runtime.complete(open_by_element(runtime)["prepare"].id, {"referral_reason": "powód", "offer_code": 3})
    [event] = runtime.outbox
    assert event.event_definition.name == "m17_referral"
    assert event.payload["payload"] == {"referral_reason": "powód", "offer_code": 3}  # not pesel, not the rest
    assert event.correlations == {"beneficiary_pseudonym": "B-1"}


def test_a_throw_without_payload_declaration_sends_nothing_and_does_not_fail():
    runtime = CaseRuntime.start(fixture("m17_throw_plain"), {"secret": "x"})
    assert runtime.completed and runtime.failure is None
    [event] = runtime.outbox
    assert event.payload["payload"] == {} and event.correlations == {}


def test_a_key_may_name_the_receiving_case_from_another_field(roles):
    text = camunda(model(f'<bpmn:intermediateThrowEvent id="t">{props(correlation="case_id=parent", payload="a")}'
                         '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateThrowEvent>',
                         top='<bpmn:message id="m" name="done"/>'))
    runtime = run(roles, text, {"parent": 42, "a": 1, "b": 2})
    [event] = runtime.outbox
    assert event.correlations == {"case_id": 42} and event.payload["payload"] == {"a": 1}


def test_a_legacy_camunda_expression_still_gives_the_payload(roles):
    text = camunda(model('<bpmn:intermediateThrowEvent id="t"><bpmn:messageEventDefinition messageRef="m" '
                         'camunda:expression="{\'n\': n + 1}"/></bpmn:intermediateThrowEvent>',
                         top='<bpmn:message id="m" name="legacy"/>'))
    [event] = run(roles, text, {"n": 1}).outbox
    assert event.payload["payload"] == {"n": 2}


def test_a_receive_task_waits_with_its_key_and_stores_the_payload():
    runtime = CaseRuntime.start(fixture("m17_referral_receiver"), {"beneficiary_pseudonym": "B-1"})
    [wait] = runtime.waits()
    assert (wait.kind, wait.name, wait.element_id, wait.field) == ("message", "m17_referral", "await_referral",
                                                                    "beneficiary_pseudonym")
    assert wait.index == key_index("B-1") != key_index("B-2")
    with pytest.raises(MessageNotExpected):
        runtime.receive_message("m17_other", {})
    runtime.receive_message("m17_referral", {"offer_code": 1})
    assert list(open_by_element(runtime)) == ["review"]
    assert runtime.data()["await_referral_Response"] == {"offer_code": 1}
    assert runtime.waits() == frozenset()


def test_an_intermediate_catch_event_with_a_key(roles):
    text = camunda(model(f'<bpmn:intermediateCatchEvent id="t">{props(correlation="ref")}'
                         '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>',
                         top='<bpmn:message id="m" name="answer"/>'))
    runtime = run(roles, text, {"ref": 7})
    [wait] = runtime.waits()
    assert wait.field == "ref" and wait.index == key_index("7")  # numbers and their text find each other
    runtime.receive_message("answer", {"ok": True})
    assert runtime.completed and runtime.data()["t_Response"] == {"ok": True}


def test_message_boundary_events_interrupt_or_not():
    runtime = CaseRuntime.start(fixture("m17_boundary"), {"beneficiary_pseudonym": "B-9"})
    assert {w.name for w in runtime.waits()} == {"m17_withdrawn", "m17_document"}
    runtime.receive_message("m17_document", {})
    assert set(open_by_element(runtime)) == {"internship", "check_document"}
    runtime.receive_message("m17_withdrawn", {})
    assert set(open_by_element(runtime)) == {"check_document"}
    assert {w.name for w in runtime.waits()} == set()


def test_an_event_based_gateway_waits_for_its_messages_with_their_keys(roles):
    body = ('<bpmn:eventBasedGateway id="t"/><bpmn:sequenceFlow id="g1" sourceRef="t" targetRef="yes"/>'
            '<bpmn:sequenceFlow id="g2" sourceRef="t" targetRef="no"/>'
            f'<bpmn:intermediateCatchEvent id="yes">{props(correlation="offer")}'
            '<bpmn:messageEventDefinition messageRef="m1"/></bpmn:intermediateCatchEvent>'
            '<bpmn:intermediateCatchEvent id="no"><bpmn:messageEventDefinition messageRef="m2"/>'
            '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="g3" sourceRef="yes" targetRef="e"/>'
            '<bpmn:sequenceFlow id="g4" sourceRef="no" targetRef="e"/><bpmn:endEvent id="e"/>')
    text = camunda(model(body, top='<bpmn:message id="m1" name="accepted"/><bpmn:message id="m2" name="declined"/>',
                         last=None))
    runtime = run(roles, text, {"offer": "O-1"})
    assert {(w.name, w.field, w.element_id) for w in runtime.waits()} == {
        ("accepted", "offer", "t"), ("declined", None, "t")}
    runtime.receive_message("declined", {})
    assert runtime.completed


def test_a_message_start_event_waits_until_the_message_starts_the_case():
    runtime = CaseRuntime.start(fixture("m17_message_start"), {"income": 1})
    assert {w.name for w in runtime.waits()} == {"m17_request"} and open_by_element(runtime) == {}
    runtime.receive_message("m17_request", {"income": 1})
    assert list(open_by_element(runtime)) == ["handle"]


def test_a_signal_end_event_throws_its_signal():
    runtime = CaseRuntime.start(fixture("m17_signal_throw"), {"secret": "x"})
    runtime.complete(open_by_element(runtime)["close_call"].id, {})
    [event] = runtime.outbox
    assert type(event.event_definition).__name__ == "SignalEventDefinition"
    assert event.event_definition.name == "m17_call_closed"


def test_signal_catches_and_starts():
    waiting = CaseRuntime.start(fixture("m17_signal_wait"), {})
    assert waiting.waiting_signals() == {"m17_call_closed"}
    with pytest.raises(MessageNotExpected):
        waiting.receive_signal("other")
    waiting.receive_signal("m17_call_closed")
    assert list(open_by_element(waiting)) == ["follow_up"]
    starting = CaseRuntime.start(fixture("m17_signal_start"), {})
    starting.receive_signal("m17_call_closed")
    assert list(open_by_element(starting)) == ["evaluate"]


def test_a_snapshot_with_waits_restores_them():
    runtime = CaseRuntime.start(fixture("m17_boundary"), {"beneficiary_pseudonym": "B-9"})
    restored = CaseRuntime.restore(runtime.definition, runtime.dump())
    assert restored.saved_waits == runtime.waits()


@pytest.mark.parametrize(("text", "expected"), [("a", ("a", "a")), ("case_id = parent", ("case_id", "parent")),
                                                (" ", None), (None, None)])
def test_parse_correlation(text, expected):
    assert parse_correlation(text) == expected


def test_split_fields():
    assert split_fields(" a, b ,,c ") == ("a", "b", "c") and split_fields(None) == ()
