"""What an incident may say about a failure (no database): the element, the code, the class."""

from __future__ import annotations

import pytest

from pathways.config import Config
from pathways.engine import incidents
from pathways.engine.errors import LimitExceeded, ScriptError

SECRET = "dwoje Kowalskich z Lipowej"


def test_a_located_script_error_names_its_own_element_and_class():
    error = ScriptError("the pathway failed at share (line 1): ValueError; reference 1a2b3c4d",
                        element="share", error="ValueError", reference="1a2b3c4d")
    assert incidents.describe(error, "wait_week") == incidents.Failure("share", "script_error", "ValueError")


def test_a_limit_keeps_its_code_and_a_bug_is_an_internal_error_without_its_text():
    limit = LimitExceeded("too many steps at loop", element="loop", limit="steps")
    assert incidents.describe(limit, "wait") == incidents.Failure("loop", "limit_exceeded", "LimitExceeded")
    bug = incidents.describe(KeyError(SECRET), "wait")
    assert bug == incidents.Failure("wait", "internal_error", "KeyError") and SECRET not in repr(bug)


def test_the_class_name_is_bounded_to_identifier_characters():
    error = ScriptError("the pathway failed", element="x", error="Bad <b>Kowalska</b>" + "A" * 300)
    failure = incidents.describe(error, "timer")
    assert failure.error_class.startswith("BadbKowalskab") and len(failure.error_class) == 100
    assert failure.element == "x" and failure.kind == "script_error"
    assert incidents.describe(ScriptError("x", error="<>"), "t").error_class == "Exception"


def test_the_count_of_attempts_comes_from_the_environment(monkeypatch):
    assert Config().incident_attempts == incidents.INCIDENT_ATTEMPTS == 3
    monkeypatch.setenv("PATHWAYS_INCIDENT_ATTEMPTS", "5")
    assert Config().incident_attempts == 5
    for wrong in ("0", "three", "-1"):
        monkeypatch.setenv("PATHWAYS_INCIDENT_ATTEMPTS", wrong)
        with pytest.raises(ValueError, match="PATHWAYS_INCIDENT_ATTEMPTS must be a whole number of at least 1"):
            Config()
