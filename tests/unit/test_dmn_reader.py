"""Reading DMN files: every version's namespace, prefixes or none, missing ids, requirements, errors."""

from decimal import Decimal

import pytest

from pathways.decisions import DmnError, evaluate, read_model
from tests.unit.dmn_helpers import definitions, input_data, literal_decision, model, requires

VERSIONS = ["http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/",
            "https://www.omg.org/spec/DMN/20191111/MODEL/", "https://www.omg.org/spec/DMN/20211108/MODEL/",
            "https://www.omg.org/spec/DMN/20230324/MODEL/"]


@pytest.mark.parametrize("namespace", VERSIONS)
def test_every_dmn_version_is_read(namespace):
    read = model(literal_decision("Answer", "6 * 7"), dmn_namespace=namespace)
    assert evaluate(read, "Answer", {}).python() == 42


def test_a_prefixed_file_reads_like_a_default_namespace_one():
    body = ('<dmn:inputData id="a" name="Age"><dmn:variable name="Age"/></dmn:inputData>'
            '<dmn:decision id="d" name="Adult"><dmn:variable name="Adult"/>'
            '<dmn:informationRequirement><dmn:requiredInput href="#a"/></dmn:informationRequirement>'
            '<dmn:literalExpression><dmn:text>Age >= 18</dmn:text></dmn:literalExpression></dmn:decision>')
    read = model(body, prefix="dmn")
    assert evaluate(read, "Adult", {"Age": 20}).value is True
    assert read.decisions["d"].name == "Adult"


def test_an_element_without_id_is_found_by_its_name():
    body = ('<inputData name="Age"><variable name="Age"/></inputData>'
            '<decision name="Adult"><informationRequirement><requiredInput href="#Age"/></informationRequirement>'
            '<literalExpression><text>Age >= 18</text></literalExpression></decision>')
    read = model(body)
    assert "Adult" in read.decisions
    assert evaluate(read, "Adult", {"Age": 12}).value is False


def test_model_attributes_and_find():
    read = model(literal_decision("Answer", "1", identifier="d1"), namespace="urn:x", name="things")
    assert (read.namespace, read.name, read.filename, read.expression_language) == ("urn:x", "things", "test.dmn",
                                                                                    "feel")
    assert read.find("d1") is read.find("Answer")
    assert read.decisions["d1"].line == 3
    with pytest.raises(DmnError, match="no decision"):
        read.find("Nothing")


@pytest.mark.parametrize("language, expected", [
    ("https://www.omg.org/spec/DMN/20191111/FEEL/", "feel"), ("http://www.omg.org/spec/FEEL/20140401", "feel"),
    ("python", "python"), ("Python", "python")])
def test_expression_language_is_recorded(language, expected):
    read = model(literal_decision("Answer", "1"), extra=f'expressionLanguage="{language}"')
    assert read.expression_language == expected


def test_a_non_feel_model_does_not_evaluate_its_expressions_as_feel():
    read = model(literal_decision("Answer", "1 + 1"), extra='expressionLanguage="python"')
    outcome = evaluate(read, "Answer", {})
    assert outcome.value is None and "python" in (outcome.error or "")


def test_not_xml_and_not_dmn_are_errors_with_a_line():
    with pytest.raises(DmnError) as caught:
        read_model(b"<definitions><decision></definitions>")
    assert caught.value.line is not None and str(caught.value).startswith("line ")
    with pytest.raises(DmnError, match="not a DMN file"):
        read_model(b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')


def test_a_bad_hit_policy_names_its_line_and_element():
    body = ('<decision id="d" name="D"><decisionTable hitPolicy="SOMETIMES"><input><inputExpression><text>1'
            '</text></inputExpression></input><output name="o"/></decisionTable></decision>')
    with pytest.raises(DmnError) as caught:
        model(body)
    assert caught.value.line == 3 and caught.value.element == "decisionTable"
    assert "line 3, element decisionTable: unknown hit policy" in str(caught.value)


def test_a_rule_with_the_wrong_number_of_cells_is_refused():
    body = ('<decision id="d" name="D"><decisionTable><input><inputExpression><text>1</text></inputExpression>'
            '</input><output name="o"/><rule><outputEntry><text>1</text></outputEntry></rule></decisionTable>'
            '</decision>')
    with pytest.raises(DmnError, match="rule 1 has 0 input"):
        model(body)


def test_a_dtd_is_refused():
    content = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]>' + definitions("")[38:]
    with pytest.raises(DmnError):
        read_model(content)


def test_requirements_and_several_decisions_per_file():
    body = (input_data("Salary") + literal_decision("Yearly", "Salary * 12", needs=requires("i_Salary"))
            + literal_decision("Tax", "Yearly * 0.25", needs=requires("d_Yearly", kind="decision")))
    read = model(body)
    assert len(read.decisions) == 2 and len(read.input_data) == 1
    outcome = evaluate(read, "Tax", {"Salary": 1000})
    assert outcome.value == Decimal("3000.00") and outcome.results["Yearly"] == Decimal(12000)


def test_names_with_operators_parse_when_they_are_in_the_model():
    body = input_data("Loan-to-Value") + literal_decision("Risky", "Loan-to-Value > 0.8",
                                                           needs=requires("i_Loan-to-Value"))
    assert evaluate(model(body), "Risky", {"Loan-to-Value": 0.9}).value is True


def test_a_bare_href_is_an_id_in_the_same_file():
    body = input_data("n") + literal_decision("D", "n + 1", needs='<informationRequirement><requiredInput href="i_n"/>'
                                                               "</informationRequirement>")
    assert evaluate(model(body), "D", {"n": 1}).python() == 2


def test_a_requirement_without_href_is_refused():
    body = literal_decision("D", "1", needs="<informationRequirement><requiredInput/></informationRequirement>")
    with pytest.raises(DmnError, match="needs an href"):
        model(body)
