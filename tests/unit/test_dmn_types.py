"""Item definitions and type references: conformance, coercion to null, singleton lists, instance of."""

import datetime as dt

import pytest

from pathways.decisions import evaluate
from tests.unit.dmn_helpers import input_data, literal_decision, model, requires

ITEMS = ('<itemDefinition name="tAge"><typeRef>number</typeRef><allowedValues><text>[0..150]</text></allowedValues>'
         '</itemDefinition>'
         '<itemDefinition name="tPerson"><itemComponent name="name"><typeRef>string</typeRef></itemComponent>'
         '<itemComponent name="age"><typeRef>tAge</typeRef></itemComponent></itemDefinition>'
         '<itemDefinition name="tNames" isCollection="true"><typeRef>string</typeRef></itemDefinition>')


def echo(type_ref, value, **options):
    body = ITEMS + input_data("x", type_ref) + literal_decision("D", "x", needs=requires("i_x"))
    return evaluate(model(body, **options), "D", {"x": value})


@pytest.mark.parametrize("type_ref, value", [
    ("number", 3), ("string", "a"), ("boolean", True), ("date", dt.date(2026, 1, 1)),
    ("dateTime", dt.datetime(2026, 1, 1, 10)), ("date and time", dt.datetime(2026, 1, 1, 10)),
    ("time", dt.time(10)), ("dayTimeDuration", dt.timedelta(days=1)), ("days and time duration", dt.timedelta(1)),
    ("feel:number", 3), ("tAge", 40), ("tNames", ["a", "b"]), ("Any", "x")])
def test_a_conforming_input_passes_unchanged(type_ref, value):
    outcome = echo(type_ref, value, extra='xmlns:feel="https://www.omg.org/spec/DMN/20191111/FEEL/"')
    assert outcome.python() == value and outcome.warnings == []


@pytest.mark.parametrize("type_ref, value", [
    ("number", "3"), ("string", 3), ("boolean", "true"), ("date", "2026-01-01"), ("tAge", 200),
    ("tNames", ["a", 1]), ("tPerson", {"name": "Al"}), ("tPerson", {"name": "Al", "age": -1}), ("tPerson", 5)])
def test_an_input_that_does_not_conform_is_an_error_and_no_value(type_ref, value):
    outcome = echo(type_ref, value)
    assert outcome.value is None and outcome.results["D"] is None
    assert outcome.error == f"x: a {outcome.error.split()[2]} does not conform to type {type_ref} (input data)"
    assert str(value) not in outcome.error.replace(type_ref, "")


def test_a_structured_value_conforms_with_extra_entries():
    assert echo("tPerson", {"name": "Al", "age": 30, "x": 1}).python() == {"name": "Al", "age": 30, "x": 1}


def test_a_singleton_list_is_its_element_where_the_type_is_no_collection():
    assert echo("number", [7]).python() == 7


def test_a_single_value_is_a_one_item_list_where_the_type_is_a_collection():
    assert echo("tNames", "a").python() == ["a"]


def test_dmn_1_1_xsd_type_references():
    body = ('<inputData id="i" name="x"><variable name="x" typeRef="xsd:string"/></inputData>'
            + literal_decision("D", "x", needs=requires("i")))
    read = model(body, dmn_namespace="http://www.omg.org/spec/DMN/20151101/dmn.xsd",
                 extra='xmlns:xsd="http://www.w3.org/2001/XMLSchema"')
    assert evaluate(read, "D", {"x": "s"}).value == "s"
    assert evaluate(read, "D", {"x": 1}).value is None


def test_a_decision_result_that_does_not_conform_is_an_error():
    outcome = evaluate(model(ITEMS + literal_decision("D", '"old"', type_ref="tAge")), "D", {})
    assert outcome.value is None and outcome.error == "D: the result: a string does not conform to type tAge"


def test_instance_of_knows_the_item_definitions_but_not_their_allowed_values():
    body = ITEMS + literal_decision("D", '[{name: "a", age: 999} instance of tPerson, 5 instance of tNames, '
                                         '"x" instance of string]')
    assert evaluate(model(body), "D", {}).value == [True, False, True]


def test_a_bkm_given_a_value_outside_its_parameter_type_is_not_invoked():
    body = ITEMS + ('<businessKnowledgeModel id="b" name="Name Of"><variable name="Name Of"/><encapsulatedLogic>'
                    '<formalParameter name="p" typeRef="tPerson"/><literalExpression><text>p.name</text>'
                    '</literalExpression></encapsulatedLogic></businessKnowledgeModel>'
                    + literal_decision("D", 'Name Of({name: "Al", age: 3}) + Name Of({name: "Bo"})'))
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None and any("tPerson" in warning for warning in outcome.warnings)


def test_an_imported_item_definition():
    library = model(ITEMS, namespace="urn:types")
    body = ('<import namespace="urn:types" name="types"/>' + input_data("x", "types.tAge")
            + literal_decision("D", "x", needs=requires("i_x")))
    read = model(body, imports=[library])
    assert evaluate(read, "D", {"x": 5}).python() == 5
    assert evaluate(read, "D", {"x": 500}).value is None


def test_dmn_1_1_qualified_references_to_the_models_own_item_definitions():
    body = (ITEMS.replace("<typeRef>number</typeRef>", "<typeRef>feel:number</typeRef>")
            + '<inputData id="i" name="x"><variable name="x" typeRef="tns:tAge"/></inputData>'
            + literal_decision("D", "x", needs=requires("i")))
    read = model(body, namespace="urn:mine", dmn_namespace="http://www.omg.org/spec/DMN/20151101/dmn.xsd",
                 extra='xmlns:tns="urn:mine" xmlns:feel="http://www.omg.org/spec/FEEL/20140401"')
    assert evaluate(read, "D", {"x": 30}).python() == 30
    assert evaluate(read, "D", {"x": 300}).value is None
