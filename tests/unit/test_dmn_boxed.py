"""Boxed expressions: contexts, lists, relations, invocations, function definitions, BKMs, DMN 1.5's boxes."""

from decimal import Decimal

from pathways.decisions import evaluate
from tests.unit.dmn_helpers import input_data, model, requires


def decision(name, inner, needs="", knowledge=()):
    required = "".join(f'<knowledgeRequirement><requiredKnowledge href="#{ref}"/></knowledgeRequirement>'
                       for ref in knowledge)
    return f'<decision id="d_{name}" name="{name}"><variable name="{name}"/>{needs}{required}{inner}</decision>'


def lit(text):
    return f"<literalExpression><text>{text}</text></literalExpression>"


def entry(name, inner):
    variable = f'<variable name="{name}"/>' if name else ""
    return f"<contextEntry>{variable}{inner}</contextEntry>"


def bkm(name, parameters, body, knowledge=()):
    required = "".join(f'<knowledgeRequirement><requiredKnowledge href="#{ref}"/></knowledgeRequirement>'
                       for ref in knowledge)
    formal = "".join(f'<formalParameter name="{p}"/>' for p in parameters)
    return (f'<businessKnowledgeModel id="b_{name.replace(" ", "_")}" name="{name}"><variable name="{name}"/>'
            f"<encapsulatedLogic>{formal}{body}</encapsulatedLogic>{required}</businessKnowledgeModel>")


def value(body, name="D", **inputs):
    return evaluate(model(body), name, inputs).python()


def test_a_context_whose_entries_see_earlier_ones():
    body = decision("D", "<context>" + entry("a", lit("1")) + entry("b", lit("a + 1")) + "</context>")
    assert value(body) == {"a": 1, "b": 2}


def test_a_context_with_a_final_result_entry_gives_that_result():
    body = decision("D", "<context>" + entry("a", lit("20")) + entry("", lit("a * 2")) + "</context>")
    assert value(body) == 40


def test_a_list_and_a_relation():
    assert value(decision("D", "<list>" + lit("1") + lit('"two"') + "</list>")) == [1, "two"]
    relation = ('<relation><column name="n"/><column name="sq"/><row>' + lit("2") + lit("4") + "</row><row>"
                + lit("3") + lit("9") + "</row></relation>")
    assert value(decision("D", relation)) == [{"n": 2, "sq": 4}, {"n": 3, "sq": 9}]


def test_a_bkm_is_invoked_with_bindings_by_parameter_name():
    body = bkm("Double", ["x"], lit("x * 2")) + decision(
        "D", '<invocation>' + lit("Double") + '<binding><parameter name="x"/>' + lit("21") + "</binding></invocation>",
        knowledge=["b_Double"])
    assert value(body) == 42


def test_a_bkm_is_a_feel_function_in_scope_by_its_name():
    body = bkm("Add", ["a", "b"], lit("a + b")) + decision("D", lit("Add(1, 2) + Add(b: 10, a: 5)"),
                                                          knowledge=["b_Add"])
    assert value(body) == 18


def test_a_bkm_may_call_another_and_itself():
    body = (bkm("Fact", ["n"], lit("if n &lt;= 1 then 1 else n * Fact(n - 1)"))
            + bkm("Twice Fact", ["n"], lit("2 * Fact(n)"), knowledge=["b_Fact"])
            + decision("D", lit("Twice Fact(5)"), knowledge=["b_Twice_Fact"]))
    assert value(body) == 240


def test_a_bkm_with_a_decision_table_records_its_hit_under_the_bkm():
    table = ('<decisionTable><input><inputExpression><text>n</text></inputExpression></input><output name="o"/>'
             '<rule id="small"><inputEntry><text>&lt; 10</text></inputEntry><outputEntry><text>"small"</text>'
             '</outputEntry></rule></decisionTable>')
    body = bkm("Size", ["n"], table) + decision("D", lit("Size(3)"), knowledge=["b_Size"])
    outcome = evaluate(model(body), "D", {})
    assert outcome.value == "small"
    assert [(hit.decision_name, hit.rule_ids) for hit in outcome.hits] == [("Size", ("small",))]


def test_a_unique_violation_inside_a_bkm_called_from_feel_is_null_with_a_warning():
    table = ('<decisionTable><input><inputExpression><text>n</text></inputExpression></input><output name="o"/>'
             '<rule><inputEntry><text>-</text></inputEntry><outputEntry><text>1</text></outputEntry></rule>'
             '<rule><inputEntry><text>-</text></inputEntry><outputEntry><text>2</text></outputEntry></rule>'
             "</decisionTable>")
    body = bkm("Clash", ["n"], table) + decision("D", lit("Clash(3)"), knowledge=["b_Clash"])
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None and outcome.error is None
    assert any("UNIQUE" in warning for warning in outcome.warnings)


def test_a_function_definition_in_a_context():
    function = '<functionDefinition><formalParameter name="x"/>' + lit("x + 1") + "</functionDefinition>"
    body = decision("D", "<context>" + entry("inc", function) + entry("", lit("inc(41)")) + "</context>")
    assert value(body) == 42


def test_a_java_function_is_null_with_a_warning():
    function = '<functionDefinition kind="Java"><formalParameter name="x"/>' + lit("") + "</functionDefinition>"
    body = decision("D", "<context>" + entry("f", function) + entry("", lit("f(1)")) + "</context>")
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None and any("Java" in warning for warning in outcome.warnings)


def test_an_invocation_of_something_that_is_not_a_function_is_an_error():
    body = decision("D", "<invocation>" + lit("Nothing") + "</invocation>")
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None and "not a function" in outcome.error


def test_boxed_conditional_iterators_and_filter():
    conditional = ("<conditional><if>" + lit("x > 1") + "</if><then>" + lit('"big"') + "</then><else>"
                   + lit('"small"') + "</else></conditional>")
    body = input_data("x") + decision("D", conditional, needs=requires("i_x"))
    assert value(body, x=5) == "big" and value(body, x=0) == "small"
    loop = '<for iteratorVariable="i"><in>' + lit("[1, 2, 3]") + "</in><return>" + lit("i * i") + "</return></for>"
    assert value(decision("D", loop)) == [1, 4, 9]
    some = '<some iteratorVariable="i"><in>' + lit("[1, 2]") + "</in><satisfies>" + lit("i > 1") + "</satisfies></some>"
    assert value(decision("D", some)) is True
    kept = "<filter><in>" + lit("[1, 2, 3, 4]") + "</in><match>" + lit("item >= 3") + "</match></filter>"
    assert value(decision("D", kept)) == [3, 4]


def test_a_non_boolean_condition_or_filter_match_is_null():
    conditional = ("<conditional><if>" + lit('"yes"') + "</if><then>" + lit("1") + "</then><else>" + lit("2")
                   + "</else></conditional>")
    assert value(decision("D", conditional)) is None
    kept = "<filter><in>" + lit("[1, 2]") + "</in><match>" + lit('"no"') + "</match></filter>"
    assert value(decision("D", kept)) is None


def test_a_feel_error_is_null_and_a_warning_prefixed_with_the_decision():
    outcome = evaluate(model(decision("D", lit("1 / 0"))), "D", {})
    assert outcome.value is None and outcome.error is None
    assert outcome.warnings and outcome.warnings[0].startswith("D: ")


def test_decimal_values_come_back_as_feel_numbers():
    assert evaluate(model(decision("D", lit("0.1 + 0.2"))), "D", {}).value == Decimal("0.3")


def test_a_bkm_recursing_without_end_is_null_not_a_crash():
    body = bkm("Loop", ["n"], lit("Loop(n + 1)")) + decision("D", lit("Loop(1)"), knowledge=["b_Loop"])
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None


def test_an_invocation_with_a_non_conforming_argument_is_null_with_a_warning():
    body = ('<businessKnowledgeModel id="b" name="Half"><variable name="Half"/><encapsulatedLogic>'
            '<formalParameter name="x" typeRef="number"/>' + lit("x / 2") + "</encapsulatedLogic>"
            "</businessKnowledgeModel>" + decision(
                "D", "<invocation>" + lit("Half") + '<binding><parameter name="x"/>' + lit('"ten"')
                + "</binding></invocation>", knowledge=["b"]))
    outcome = evaluate(model(body), "D", {})
    assert outcome.value is None and outcome.error is None
    assert any("invocation of Half" in warning for warning in outcome.warnings)


def test_a_bkm_evaluated_directly_takes_its_parameters_from_the_inputs():
    body = bkm("Add", ["a", "b"], lit("a + b"))
    assert evaluate(model(body), "Add", {"a": 1, "b": 2}).python() == 3
