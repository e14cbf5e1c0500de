"""Decisions over HTTP: trying one (designers and admins), and a rule edited as Camunda Modeler saves
it, deployed, deciding the next case."""

from __future__ import annotations

import io

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry
from tests.e2e.api_fixtures import person
from tests.helpers import WORKFLOWS

pytest_plugins = ["tests.e2e.api_fixtures"]

KEY = "domestic_violence_women"
DMN = WORKFLOWS / f"{KEY}_eligibility.dmn"
DECISION = "domestic_violence_women_eligibility"
ELIGIBLE = {"consent_to_participate": True, "experienced_violence": True, "target_group": "convicted"}
RECRUITMENT = {"entry_date": "2026-11-02", "entry_situation": "unemployed", "experienced_violence": True,
               "consent_to_participate": True, "site": "warszawa", "children_count": 2,
               "violence_history": "Przemoc ze strony męża", "hours": 2}


def _evaluate(client, headers, body, key=KEY):
    return client.post(f"/api/v1/decisions/{key}/evaluate", headers=headers, json=body)


def test_a_designer_tries_a_decision_and_sees_the_rules_that_matched(client, bearer):
    response = _evaluate(client, bearer(client, "admin"), {"decision": DECISION, "input": ELIGIBLE})
    assert response.status_code == 200, response.get_json()
    trial = response.get_json()
    assert trial["outputs"] == {"eligible": True, "eligibility_note": "Spełnia kryteria grupy docelowej"}
    assert trial["hits"] == [{"decision": DECISION, "name": trial["hits"][0]["name"], "rules": [3],
                              "rule_ids": [trial["hits"][0]["rule_ids"][0]]}]
    assert trial["version"] == 1 and trial["file"].endswith("domestic_violence_women_eligibility.dmn")
    assert len(trial["file_version"]) == 12 and trial["error"] is None
    by_name = _evaluate(client, bearer(client, "admin"),
                        {"decision": trial["name"], "input": {**ELIGIBLE, "consent_to_participate": False}})
    assert by_name.get_json()["outputs"]["eligibility_note"] == "Brak zgody na udział"


def test_trying_decisions_is_for_designers_and_admins_only(client, bearer, api_app):
    for user in ("anna.ops", "teresa.sup", "olga.far"):
        response = _evaluate(client, bearer(client, user), {"decision": DECISION, "input": ELIGIBLE})
        assert response.status_code == 403, user
    assert client.post(f"/api/v1/decisions/{KEY}/evaluate", json={"decision": DECISION}).status_code == 401
    with services(api_app).store.unit_of_work(write=False) as uow:
        refused = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    assert {e.username for e in refused if e.detail["attempted"] == "decisions.evaluate"} == {
        "anna.ops", "teresa.sup", "olga.far"}


def test_bad_requests_are_located_and_change_nothing(client, bearer):
    admin = bearer(client, "admin")
    unknown = _evaluate(client, admin, {"decision": "nope", "input": {}})
    assert unknown.status_code == 404 and "nope" in unknown.get_json()["message"]
    assert _evaluate(client, admin, {"decision": DECISION}, key="no_such_pathway").status_code == 404
    assert _evaluate(client, admin, {"decision": DECISION, "inputs": {}}).status_code == 400  # a typo is an error
    assert _evaluate(client, admin, {"decision": DECISION, "input": [1]}).status_code == 400
    deep = {"a": {}}
    for _ in range(40):
        deep = {"a": deep}
    too_deep = _evaluate(client, admin, {"decision": DECISION, "input": deep})
    assert too_deep.status_code == 400 and "Traceback" not in too_deep.get_data(as_text=True)
    # a hostile value is only a value: FEEL text in an input is never evaluated
    hostile = _evaluate(client, admin, {"decision": DECISION, "input": {
        **ELIGIBLE, "target_group": '"x") or true or ("'}}).get_json()
    assert hostile["outputs"]["eligible"] is None and hostile["hits"][0]["rules"] == []


def _recruit(client, headers, app, target_group):
    ben = person(app)
    case = client.post("/api/v1/cases", headers=headers, json={"pathway": KEY, "beneficiary": ben}).get_json()
    [task] = [t["id"] for t in case["open_tasks"] if t["element"] == "recruitment"]
    response = client.post(f"/api/v1/tasks/{task}/complete", headers=headers,
                           json={"data": {**RECRUITMENT, "target_group": target_group}})
    assert response.status_code == 200, response.get_json()
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=headers).get_json()
    return detail


def test_a_rule_edited_in_the_modeler_decides_the_next_case(client, bearer, api_app):
    anna, admin = bearer(client, "anna.ops"), bearer(client, "admin")
    before = _recruit(client, anna, api_app, "other")
    assert before["data"]["eligible"] is False
    decided = [e for e in before["timeline"] if e["kind"] == "DecisionMade"]
    assert [e["element"] for e in decided] == ["check_eligibility"]

    # Camunda Modeler: the designer opens the table, changes rule 4's output ("other" is admitted
    # now) and its note, and saves; the file keeps its ids and layout, only the two cells change
    text = DMN.read_text(encoding="utf-8")
    rule = text[text.index('"other"'):]
    edited_rule = rule.replace("<text>false</text>", "<text>true</text>", 1).replace(
        "Poza grupą docelową projektu", "Przyjęta decyzją komisji", 1)
    edited = text[:text.index('"other"')] + edited_rule
    assert edited != text
    data = {"file": [(io.BytesIO(edited.encode("utf-8")), DMN.name)]}
    deployed = client.post("/api/v1/definitions", headers=admin, data=data, content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    assert {"key": KEY, "version": 2} in deployed.get_json()["created"]

    after = _recruit(client, anna, api_app, "other")
    assert (after["data"]["eligible"], after["data"]["eligibility_note"]) == (True, "Przyjęta decyzją komisji")
    still = client.get(f"/api/v1/cases/{before['id']}", headers=anna).get_json()
    assert still["data"]["eligible"] is False  # the case decided before keeps its decision
    tried = _evaluate(client, admin, {"decision": DECISION, "input": {**ELIGIBLE, "target_group": "other"}})
    assert tried.get_json()["version"] == 2 and tried.get_json()["outputs"]["eligible"] is True
