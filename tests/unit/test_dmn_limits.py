"""A hostile decision (a designer's file is input) stops at the evaluation budget: no result, no hang."""

from __future__ import annotations

import time

from pathways.decisions import evaluate, read_model

LOOPING = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="urn:loop">
  <decision id="endless" name="endless">
    <literalExpression><text>count(for a in 1..1000000, b in 1..1000000 return a)</text></literalExpression>
  </decision>
  <decision id="after" name="after">
    <informationRequirement><requiredDecision href="#endless"/></informationRequirement>
    <literalExpression><text>endless + 1</text></literalExpression>
  </decision>
</definitions>"""


def test_a_decision_that_loops_gives_no_result_and_says_why():
    model = read_model(LOOPING, "loop.dmn")
    started = time.monotonic()
    evaluation = evaluate(model, "after", {})
    assert time.monotonic() - started < 30
    assert evaluation.value is None
    assert evaluation.error is not None and "stopped" in evaluation.error
