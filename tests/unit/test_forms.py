"""Task forms without a database: the JSON description and the generated validation schema."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pathways.engine.definitions import SourceFile, build_spec
from pathways.engine.errors import InvalidData
from pathways.tasks import forms
from tests.helpers import FIXTURES, WORKFLOWS, load_definition

ALL_TYPES = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="all_types" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="form" />
    <bpmn:userTask id="form" name="Every type">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="name" label="Name" type="string" defaultValue="Jan">
            <camunda:properties><camunda:property id="help" value="As on the ID card" /></camunda:properties>
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="minlength" config="2" />
              <camunda:constraint name="maxlength" config="10" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="children" label="Children" type="long" defaultValue="0">
            <camunda:validation>
              <camunda:constraint name="min" config="0" />
              <camunda:constraint name="max" config="12" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="amount" label="Amount (PLN)" type="decimal" defaultValue="12.50">
            <camunda:validation>
              <camunda:constraint name="min" config="0.01" />
              <camunda:constraint name="max" config="5000" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="consent" label="Consent" type="boolean" defaultValue="false">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          </camunda:formField>
          <camunda:formField id="start_date" label="Start" type="date">
            <camunda:validation>
              <camunda:constraint name="min" config="2026-01-01" />
              <camunda:constraint name="max" config="2026-12-31" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="situation" label="Situation" type="enum" defaultValue="unemployed">
            <camunda:value id="unemployed" name="Bezrobotny" />
            <camunda:value id="employed" name="Pracuje" />
          </camunda:formField>
          <camunda:formField id="case_ref" label="Reference" type="string">
            <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
          </camunda:formField>
          <camunda:formField id="address" label="Shelter address" type="string">
            <camunda:properties><camunda:property id="sensitive" value="true" /></camunda:properties>
          </camunda:formField>
          <camunda:formField id="load" label="A field named like a schema method" type="string" />
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="form" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""
VALID = {"name": "Anna", "consent": True}


@pytest.fixture(scope="module")
def form() -> forms.Form:
    spec, _ = build_spec([SourceFile("all_types.bpmn", ALL_TYPES)], "all_types")
    return forms.build_form(spec.task_specs["form"])


def errors(form: forms.Form, data: Any) -> dict[str, str]:
    with pytest.raises(InvalidData) as error:
        form.validate(data)
    fields: dict[str, str] = error.value.details["fields"]  # type: ignore[assignment]
    return fields


def test_the_description_lists_fields_in_order_with_their_constraints(form: forms.Form) -> None:
    described = form.describe()
    assert [f["id"] for f in described] == ["name", "children", "amount", "consent", "start_date", "situation",
                                            "case_ref", "address", "load"]
    name, children, amount, consent, start, situation, ref, address, _ = described
    assert name == {"id": "name", "type": "string", "label": "Name", "required": True, "readonly": False,
                    "options": [], "min": None, "max": None, "minlength": 2, "maxlength": 10, "sensitive": False,
                    "help": "As on the ID card", "redacted": False, "default": "Jan", "value": None}
    assert (children["min"], children["max"], children["default"]) == (0, 12, 0)
    assert (amount["min"], amount["max"], amount["default"]) == (0.01, 5000, 12.5)
    assert consent["required"] is True and consent["default"] is False
    assert (start["min"], start["max"]) == ("2026-01-01", "2026-12-31")
    assert situation["options"] == [{"id": "unemployed", "label": "Bezrobotny"}, {"id": "employed", "label": "Pracuje"}]
    assert situation["default"] == "unemployed"
    assert ref["readonly"] is True and address["sensitive"] is True


def test_values_are_shown_unless_hidden(form: forms.Form) -> None:
    values = {"name": "Ola", "address": "ul. Tajna 1", "other": "x"}
    shown = {f["id"]: f for f in form.describe(values)}
    assert shown["name"]["value"] == "Ola" and shown["address"]["value"] == "ul. Tajna 1"
    hidden = {f["id"]: f for f in form.describe(values, {"address"})}
    assert hidden["address"]["value"] is None and hidden["address"]["redacted"] is True
    assert hidden["address"]["default"] is None and hidden["name"]["redacted"] is False


def test_valid_values_are_converted_to_their_types(form: forms.Form) -> None:
    assert form.validate({"name": "Anna", "children": 3, "amount": 99.5, "consent": False,
                          "start_date": "2026-03-01", "situation": "employed", "address": "x", "load": "y"}) == {
        "name": "Anna", "children": 3, "amount": 99.5, "consent": False, "start_date": "2026-03-01",
        "situation": "employed", "address": "x", "load": "y"}
    # what a browser form posts
    assert form.validate({"name": "Anna", "children": "3", "amount": "2,5", "consent": "true", "start_date": ""}) == {
        "name": "Anna", "children": 3, "amount": 2.5, "consent": True, "start_date": None}
    assert form.validate({**VALID, "children": 4.0, "amount": 7}) == {**VALID, "children": 4, "amount": 7.0}
    assert form.validate({**VALID, "children": None, "situation": None}) == {**VALID, "children": None,
                                                                             "situation": None}
    assert form.validate(VALID) == VALID  # optional fields may be left out


@pytest.mark.parametrize(("data", "expected"), [
    ({}, {"name": "required", "consent": "required"}),
    ({"name": None, "consent": None}, {"name": "required", "consent": "required"}),
    ({"name": "  ", "consent": ""}, {"name": "required", "consent": "required"}),
    ({**VALID, "name": "A"}, {"name": "must be at least 2 characters"}),
    ({**VALID, "name": "A" * 11}, {"name": "must be at most 10 characters"}),
    ({**VALID, "name": 5}, {"name": "must be text"}),
    ({**VALID, "children": -1}, {"children": "must be at least 0"}),
    ({**VALID, "children": 13}, {"children": "must be at most 12"}),
    ({**VALID, "children": 2.5}, {"children": "must be a whole number"}),
    ({**VALID, "children": "two"}, {"children": "must be a whole number"}),
    ({**VALID, "children": True}, {"children": "must be a whole number"}),
    ({**VALID, "amount": 0}, {"amount": "must be at least 0.01"}),
    ({**VALID, "amount": 5000.5}, {"amount": "must be at most 5000"}),
    ({**VALID, "amount": "1e400"}, {"amount": "must be a number"}),
    ({**VALID, "amount": float("nan")}, {"amount": "must be a finite number"}),
    ({**VALID, "amount": [1]}, {"amount": "must be a number"}),
    ({**VALID, "consent": 1}, {"consent": "must be true or false"}),
    ({**VALID, "consent": "yes"}, {"consent": "must be true or false"}),
    ({**VALID, "start_date": "2026-02-30"}, {"start_date": "must be a date as YYYY-MM-DD"}),
    ({**VALID, "start_date": "01.03.2026"}, {"start_date": "must be a date as YYYY-MM-DD"}),
    ({**VALID, "start_date": "20260301"}, {"start_date": "must be a date as YYYY-MM-DD"}),
    ({**VALID, "start_date": "2026-03-01T10:00:00"}, {"start_date": "must be a date as YYYY-MM-DD"}),
    ({**VALID, "start_date": 20260301}, {"start_date": "must be a date as YYYY-MM-DD"}),
    ({**VALID, "start_date": "2025-12-31"}, {"start_date": "must be on or after 2026-01-01"}),
    ({**VALID, "start_date": "2027-01-01"}, {"start_date": "must be on or before 2026-12-31"}),
    ({**VALID, "situation": "retired"}, {"situation": "must be one of: unemployed, employed"}),
    ({**VALID, "situation": "Bezrobotny"}, {"situation": "must be one of: unemployed, employed"}),
    ({**VALID, "case_ref": "X-1"}, {"case_ref": "read-only: do not send it"}),
    ({**VALID, "case_ref": None}, {"case_ref": "read-only: do not send it"}),
    ({**VALID, "nmae": "typo", "fields": 1}, {"nmae": "unknown field", "fields": "unknown field"}),
])
def test_invalid_values_get_one_message_per_field(form: forms.Form, data: dict[str, Any],
                                                  expected: dict[str, str]) -> None:
    assert errors(form, data) == expected


# -- the limits themselves: a value on a limit is allowed, one step beyond is not ---------------------
UP, DOWN = math.inf, -math.inf


@pytest.mark.parametrize(("field", "value", "loaded"), [
    ("children", 0, 0), ("children", 12, 12), ("children", "0", 0), ("children", "12", 12), ("children", 12.0, 12),
    ("amount", 0.01, 0.01), ("amount", 5000, 5000.0), ("amount", "0,01", 0.01), ("amount", "5000.00", 5000.0),
    ("start_date", "2026-01-01", "2026-01-01"), ("start_date", "2026-12-31", "2026-12-31"),
    ("name", "Al", "Al"), ("name", "Aleksandra", "Aleksandra"),
    ("name", "Łódź-Śląsk", "Łódź-Śląsk"),  # 10 letters (14 bytes of UTF-8)
])
def test_a_value_on_its_limit_is_accepted(form: forms.Form, field: str, value: Any, loaded: Any) -> None:
    assert form.validate({**VALID, field: value}) == {**VALID, field: loaded}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("children", -1, "must be at least 0"), ("children", 13, "must be at most 12"),
    ("children", "13", "must be at most 12"),
    ("amount", math.nextafter(0.01, DOWN), "must be at least 0.01"),
    ("amount", math.nextafter(5000.0, UP), "must be at most 5000"),
    ("amount", "0.0099999", "must be at least 0.01"), ("amount", "5000,0001", "must be at most 5000"),
    ("start_date", "2025-12-31", "must be on or after 2026-01-01"),
    ("start_date", "2027-01-01", "must be on or before 2026-12-31"),
    ("name", "A", "must be at least 2 characters"), ("name", "Aleksandraa", "must be at most 10 characters"),
    ("name", "Łódź-Śląsk!", "must be at most 10 characters"),
])
def test_a_value_one_step_beyond_its_limit_is_refused(form: forms.Form, field: str, value: Any,
                                                       message: str) -> None:
    assert errors(form, {**VALID, field: value}) == {field: message}


def test_limits_are_read_from_the_bpmn_as_numbers_dates_and_lengths() -> None:
    definition = load_definition("form_limits", FIXTURES / "form_limits.bpmn")
    limits = {f.id: (f.min, f.max, f.minlength, f.maxlength)
              for f in forms.build_form(forms.task_spec(definition, "record")).fields}
    assert limits == {"visits": (1, 12, None, None), "allowance": (0.5, 1500.75, None, None),
                      "visit_date": ("2026-01-01", "2026-12-31", None, None),
                      "reference": (None, None, 3, 8), "visit_notes": (None, None, 4, 20)}


def test_a_body_that_is_not_an_object_is_refused(form: forms.Form) -> None:
    for body in ([VALID], "name=Anna", None, 3):
        assert errors(form, body) == {"data": "must be an object"}


def test_the_intake_pathways_forms() -> None:
    definition = load_definition("intake_referral", WORKFLOWS / "intake_referral.bpmn")
    identify = forms.build_form(forms.task_spec(definition, "identify"))
    assert [(f.id, f.type, f.required) for f in identify.fields] == [
        ("needs_crisis_support", "boolean", False), ("risk_level", "enum", False), ("intake_date", "date", True),
        ("notes", "string", False)]
    crisis = forms.build_form(forms.task_spec(definition, "crisis_intervention"))
    assert {f.id: f.sensitive for f in crisis.fields} == {"hours": False, "shelter_location": True, "outcome": False}
    assert errors(crisis, {"hours": 41}) == {"hours": "must be at most 40"}
    psych = forms.build_form(forms.task_spec(definition, "psych_diagnosis"))
    clean = psych.validate({"hours": 2, "psych_notes": "n", "recommendation": "positive"})
    assert clean == {"hours": 2, "psych_notes": "n", "recommendation": "positive"}
    no_form = forms.build_form(forms.task_spec(definition, "follow_up_support"))
    assert no_form.fields == () and no_form.validate({}) == {}
    assert errors(no_form, {"x": 1}) == {"x": "unknown field"}
    assert forms.task_spec(definition, "no_such_element") is None


def test_decimal_fields_of_the_measures_fixture() -> None:
    definition = load_definition("measures", FIXTURES / "measures.bpmn")
    consultation = forms.build_form(forms.task_spec(definition, "consultation"))
    assert [(f.id, f.type) for f in consultation.fields] == [("hours", "decimal"), ("stipend", "decimal")]
    assert consultation.validate({"hours": "1.5", "stipend": 12}) == {"hours": 1.5, "stipend": 12.0}
    assert errors(consultation, {"hours": "1,5,0"}) == {"hours": "must be a number"}


def test_the_schema_is_built_once_per_version_and_element() -> None:
    definition = load_definition("intake_referral", WORKFLOWS / "intake_referral.bpmn")
    spec = forms.task_spec(definition, "identify")
    assert forms.form_for(101, spec) is forms.form_for(101, spec)
    assert forms.form_for(102, spec) is not forms.form_for(101, spec)
    rebuilt = load_definition("intake_referral", WORKFLOWS / "intake_referral.bpmn")
    # same key, another spec object (a fresh database reusing version ids): built again, not mixed up
    assert forms.form_for(101, forms.task_spec(rebuilt, "identify")) is not forms.form_for(101, spec)
