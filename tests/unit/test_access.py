"""Redaction without a database: which fields a user's roles hide, and what is left of the data and
of an event's before/after (also the case data nested in `CaseStarted` and `CaseCompleted`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pathways.tasks.access import hidden_fields, redact, redact_event

ADDRESS = "ul. Tajna 7, Bartoszyce"
NOTES = "Lęk uogólniony"
HIDDEN = {"shelter_address", "psych_notes"}


def test_a_field_is_hidden_unless_one_of_the_users_roles_may_see_it() -> None:
    sensitive = {"shelter_address": frozenset({"ngo.crisis_interventionist", "ops.psychologist"}),
                 "psych_notes": frozenset({"ops.psychologist"})}
    assert hidden_fields(sensitive, ["pup.job_broker"]) == HIDDEN
    assert hidden_fields(sensitive, ["ngo.crisis_interventionist"]) == {"psych_notes"}
    assert hidden_fields(sensitive, ["ops.social_worker", "ops.psychologist"]) == set()
    assert hidden_fields(sensitive, []) == HIDDEN


@pytest.mark.parametrize("kind_payload", [
    # CaseStarted: the start data and the agencies
    {"data": {"beneficiary_pseudonym": "BEN-1", "shelter_address": ADDRESS}, "agencies": ["ngo-bartoszyce"]},
    # CaseCompleted: the whole case data at the end
    {"data": {"beneficiary_pseudonym": "BEN-1", "shelter_address": ADDRESS, "psych_notes": NOTES}},
], ids=["CaseStarted", "CaseCompleted"])
def test_the_case_data_nested_in_an_event_loses_its_hidden_fields(kind_payload: dict[str, Any]) -> None:
    original = copy.deepcopy(kind_payload)
    redacted = redact_event(kind_payload, HIDDEN)
    assert redacted is not None
    assert redacted["data"] == {"beneficiary_pseudonym": "BEN-1"}
    assert {k: v for k, v in redacted.items() if k != "data"} == {k: v for k, v in original.items() if k != "data"}
    assert ADDRESS not in repr(redacted) and NOTES not in repr(redacted)
    assert kind_payload == original  # the stored event is left as it was


def test_nested_data_is_kept_whole_for_a_user_who_may_see_everything() -> None:
    payload = {"data": {"shelter_address": ADDRESS, "placement": "hostel"}, "agencies": ["ngo-bartoszyce"]}
    assert redact_event(payload, set()) == payload
    assert redact_event(payload, {"psych_notes"}) == payload  # hiding a field the event does not hold


def test_hidden_fields_go_at_the_top_level_and_inside_data_at_once() -> None:
    payload = {"shelter_address": ADDRESS, "outcome": "placed",
               "data": {"psych_notes": NOTES, "risk_level": "high"}}
    assert redact_event(payload, HIDDEN) == {"outcome": "placed", "data": {"risk_level": "high"}}


def test_a_task_completion_is_redacted_at_the_top_level() -> None:
    assert redact_event({"shelter_address": ADDRESS, "hours": 3}, HIDDEN) == {"hours": 3}
    assert redact({"psych_notes": NOTES, "hours": 2}, HIDDEN) == {"hours": 2}


@pytest.mark.parametrize("data", ["shelter_address", ["shelter_address"], 7, None])
def test_a_data_key_that_is_not_an_object_is_left_as_it_is(data: Any) -> None:
    assert redact_event({"data": data, "shelter_address": ADDRESS}, HIDDEN) == {"data": data}


def test_no_payload_stays_none() -> None:
    assert redact_event(None, HIDDEN) is None
    assert redact(None, HIDDEN) is None
