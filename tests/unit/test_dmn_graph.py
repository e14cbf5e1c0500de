"""The decision requirements graph: order, each decision once, cycles, imports, decision services."""

import pytest

from pathways.decisions import evaluate
from tests.unit.dmn_helpers import input_data, literal_decision, model, requires


def needs_decisions(*names):
    return requires(*[f"d_{name}" for name in names], kind="decision")


def test_required_decisions_are_evaluated_first_and_once():
    body = (input_data("n") + literal_decision("A", "n + 1", needs=requires("i_n"))
            + literal_decision("B", "A * 2", needs=needs_decisions("A"))
            + literal_decision("C", "A * 3", needs=needs_decisions("A"))
            + literal_decision("Top", "B + C", needs=needs_decisions("B", "C")))
    outcome = evaluate(model(body), "Top", {"n": 1})
    assert outcome.python() == 10
    assert {key: int(value) for key, value in outcome.results.items()} == {"A": 2, "B": 4, "C": 6, "Top": 10}


def test_a_decision_value_in_the_inputs_is_used_instead_of_evaluating_it():
    body = literal_decision("A", "1 / 0") + literal_decision("B", "A + 1", needs=needs_decisions("A"))
    outcome = evaluate(model(body), "B", {"A": 41})
    assert outcome.python() == 42 and outcome.warnings == []


def test_a_cycle_is_an_error_naming_it():
    body = (literal_decision("A", "B", needs=needs_decisions("B"))
            + literal_decision("B", "A", needs=needs_decisions("A")))
    outcome = evaluate(model(body), "A", {})
    assert outcome.value is None
    assert outcome.error == "the decisions require each other in a cycle: A -> B -> A"


def test_an_unknown_reference_and_an_unknown_decision_are_errors_not_exceptions():
    body = literal_decision("A", "1", needs=requires("nowhere"))
    assert "nowhere" in evaluate(model(body), "A", {}).error
    assert "no decision" in evaluate(model(body), "Z", {}).error


def test_a_failing_required_decision_fails_the_evaluation():
    table = ('<decisionTable><input><inputExpression><text>1</text></inputExpression></input><output name="o"/>'
             '<rule><inputEntry><text>-</text></inputEntry><outputEntry><text>1</text></outputEntry></rule>'
             '<rule><inputEntry><text>-</text></inputEntry><outputEntry><text>2</text></outputEntry></rule>'
             "</decisionTable>")
    body = (f'<decision id="d_A" name="A">{table}</decision>'
            + literal_decision("B", "A", needs=needs_decisions("A")))
    outcome = evaluate(model(body), "B", {})
    assert outcome.value is None and outcome.error.startswith("A: UNIQUE")


def test_input_data_the_inputs_leave_out_is_null():
    body = input_data("x") + literal_decision("D", "x = null", needs=requires("i_x"))
    assert evaluate(model(body), "D", {}).value is True


def test_python_values_are_converted():
    body = input_data("x") + literal_decision("D", "x.a + count(x.b)", needs=requires("i_x"))
    assert evaluate(model(body), "D", {"x": {"a": 1.5, "b": (1, 2)}}).python() == pytest.approx(3.5)


LIBRARY = ('<inputData id="who" name="Who"><variable name="Who" typeRef="string"/></inputData>'
           '<decision id="greet" name="Greeting"><variable name="Greeting"/>'
           '<informationRequirement><requiredInput href="#who"/></informationRequirement>'
           '<literalExpression><text>"Hello " + Who</text></literalExpression></decision>'
           '<businessKnowledgeModel id="shout" name="Shout"><variable name="Shout"/><encapsulatedLogic>'
           '<formalParameter name="s"/><literalExpression><text>upper case(s)</text></literalExpression>'
           '</encapsulatedLogic></businessKnowledgeModel>')


def importing(body):
    library = model(LIBRARY, namespace="urn:library", name="library")
    header = '<import namespace="urn:library" name="lib" importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'
    return model(header + body, imports=[library])


def test_imported_decisions_and_bkms_are_reached_as_import_dot_name():
    body = ('<decision id="d" name="Loud"><variable name="Loud"/>'
            '<informationRequirement><requiredDecision href="urn:library#greet"/></informationRequirement>'
            '<knowledgeRequirement><requiredKnowledge href="urn:library#shout"/></knowledgeRequirement>'
            '<literalExpression><text>lib.Shout(lib.Greeting)</text></literalExpression></decision>')
    read = importing(body)
    assert evaluate(read, "Loud", {"lib.Who": "Ann"}).value == "HELLO ANN"
    assert evaluate(read, "Loud", {"lib": {"Who": "Bo"}}).value == "HELLO BO"


def test_a_reference_into_a_model_not_given_is_an_error():
    body = ('<import namespace="urn:missing" name="m"/>' + '<decision id="d" name="D"><informationRequirement>'
            '<requiredDecision href="urn:missing#x"/></informationRequirement><literalExpression><text>m.x</text>'
            "</literalExpression></decision>")
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None and "not imported" in outcome.error


SERVICE = (input_data("Base") + literal_decision("Extra", '"?"')
           + literal_decision("Inner", "Base * 2", needs=requires("i_Base"))
           + literal_decision("Out", "string(Inner) + Extra", needs=needs_decisions("Inner", "Extra"))
           + '<decisionService id="s" name="Service"><variable name="Service"/><outputDecision href="#d_Out"/>'
           '<encapsulatedDecision href="#d_Inner"/><inputDecision href="#d_Extra"/><inputData href="#i_Base"/>'
           "</decisionService>")


def test_a_decision_service_evaluated_directly_takes_its_inputs_by_name():
    outcome = evaluate(model(SERVICE), "Service", {"Base": 4, "Extra": "!"})
    assert outcome.value == "8!" and outcome.results["Inner"] == 8


def test_a_decision_service_is_a_function_of_its_input_data_then_input_decisions():
    body = SERVICE + ('<decision id="c" name="Caller"><variable name="Caller"/><knowledgeRequirement>'
                      '<requiredKnowledge href="#s"/></knowledgeRequirement><literalExpression>'
                      '<text>Service(5, "#")</text></literalExpression></decision>')
    assert evaluate(model(body), "Caller", {}).value == "10#"


def test_a_decision_service_called_with_too_few_arguments_is_null():
    body = SERVICE + ('<decision id="c" name="Caller"><variable name="Caller"/><knowledgeRequirement>'
                      '<requiredKnowledge href="#s"/></knowledgeRequirement><literalExpression>'
                      '<text>Service(5)</text></literalExpression></decision>')
    outcome = evaluate(model(body), "Caller", {})
    assert outcome.value is None and outcome.warnings


def test_names_with_dots_reach_into_a_context():
    body = (input_data("Person") + '<businessKnowledgeModel id="b" name="Describe"><variable name="Describe"/>'
            '<encapsulatedLogic><formalParameter name="Person.Name"/><literalExpression><text>"Hi " + Person.Name'
            '</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>'
            '<decision id="d" name="D"><variable name="D"/>' + requires("i_Person")
            + '<knowledgeRequirement><requiredKnowledge href="#b"/></knowledgeRequirement><invocation>'
            '<literalExpression><text>Describe</text></literalExpression><binding><parameter name="Person.Name"/>'
            "<literalExpression><text>Person.Name</text></literalExpression></binding></invocation></decision>")
    assert evaluate(model(body), "D", {"Person": {"Name": "Al"}}).value == "Hi Al"


def test_a_broken_decision_service_does_not_break_the_other_decisions():
    body = (literal_decision("D", "1") + '<decisionService id="s" name="S"><outputDecision href="#gone"/>'
            '<inputData href="#missing"/></decisionService>')
    read = model(body)
    assert evaluate(read, "D", {}).python() == 1
    assert "gone" in evaluate(read, "S", {}).error


def test_results_name_imported_decisions_with_their_import():
    body = ('<decision id="d" name="Greeting"><variable name="Greeting"/>'
            '<informationRequirement><requiredDecision href="urn:library#greet"/></informationRequirement>'
            '<literalExpression><text>lib.Greeting + "!"</text></literalExpression></decision>')
    outcome = evaluate(importing(body), "Greeting", {"lib.Who": "Ann"})
    assert outcome.results == {"lib.Greeting": "Hello Ann", "Greeting": "Hello Ann!"}


def test_a_decision_without_expression_is_null_with_a_warning():
    outcome = evaluate(model('<decision id="d" name="Empty"/>'), "Empty", {})
    assert outcome.value is None and outcome.error is None
    assert outcome.warnings == ["Empty: the decision has no expression; its value is null"]


def test_with_variables_every_input_is_seen_and_decisions_are_always_evaluated():
    body = input_data("n") + literal_decision("A", "n + 1", needs=requires("i_n")) + literal_decision(
        "B", "A * 10 + extra", needs=needs_decisions("A"))
    read = model(body)
    outcome = evaluate(read, "B", {"n": 1, "A": 100, "extra": 3}, variables=True)
    assert outcome.python() == 23
    assert evaluate(read, "A", {"n": 1, "A": 100}).python() == 100  # without variables the input stands in
    assert evaluate(read, "A", {"n": 1, "A": 100}, variables=True).python() == 2


def test_a_decision_service_without_its_input_decision_takes_null_and_warns():
    outcome = evaluate(model(SERVICE), "Service", {"Base": 4})
    assert outcome.value is None
    assert "Service: input decision Extra not given; it is null" in outcome.warnings
