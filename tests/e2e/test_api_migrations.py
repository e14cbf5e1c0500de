"""Instance migration over HTTP: a designer uploads a corrected intake pathway, dry-runs moving the
demo's running cases, applies, and the API's dry run is what happened, case by case; who may;
a version lacking a waiting element is refused without a mapping; no case value in any answer."""

from __future__ import annotations

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry, Case
from pathways.tasks.deployers import DeployPolicy
from tests.e2e.api_fixtures import OUTSIDER
from tests.helpers import WORKFLOWS

pytest_plugins = ["tests.e2e.api_fixtures"]
KEY = "intake_referral"
URL = f"/api/v1/definitions/{KEY}/migrations"


def _upload(client, headers, text, name="intake_referral.bpmn"):
    answer = client.post("/api/v1/definitions", headers=headers, content_type="multipart/form-data",
                         data={"file": [(__import__("io").BytesIO(text.encode()), name)]})
    assert answer.status_code == 201, answer.get_json()
    return answer


def _edited(rename=True, drop_identify=False):
    text = (WORKFLOWS / "intake_referral.bpmn").read_text()
    if rename:
        text = text.replace('name="Identyfikacja i diagnoza wstępna"', 'name="Identyfikacja i diagnoza"')
        text = text.replace(">PT72H<", ">PT96H<")
    if drop_identify:
        text = text.replace('"identify"', '"identify_v3"').replace(">identify<", ">identify_v3<")
    return text


def _versions(app):
    with services(app).store.unit_of_work(write=False) as uow:
        return {c.id: c.pathway_version.version for c in uow.session.scalars(select(Case).where(
            Case.pathway_key == KEY))}


def test_a_designer_dry_runs_then_moves_the_demo_cases(any_app, bearer):
    client = any_app.test_client()
    admin = bearer(client, "admin")
    _upload(client, admin, _edited())
    plan = client.post(URL, headers=admin, json={"from_version": 1, "to_version": 2})
    assert plan.status_code == 200, plan.get_json()
    body = plan.get_json()
    assert body["dry_run"] is True and body["movable"] == 3 and body["refused"] == 0
    assert body["changes"]["renamed"] == [{"element": "identify", "old_name": "Identyfikacja i diagnoza wstępna",
                                           "name": "Identyfikacja i diagnoza"}]
    changes = sorted((t["element"], t["change"]) for c in body["cases"] for t in c["tasks"])
    assert changes.count(("identify", "renamed")) == 2
    assert [t["change"] for c in body["cases"] for t in c["timers"]] == ["rescheduled"]  # the demo case past intake
    assert set(_versions(any_app).values()) == {1}  # a dry run moves nothing
    for value in ("Zgłoszenie z punktu konsultacyjnego", "B-DEM", "high"):
        assert value not in plan.get_data(as_text=True)

    applied = client.post(URL, headers=admin, json={"from_version": 1, "to_version": 2, "dry_run": False})
    assert applied.status_code == 200, applied.get_json()
    done = applied.get_json()
    assert (done["migrated"], done["refused"], done["remaining"]) == (3, 0, 0)
    assert [{k: v for k, v in c.items() if k != "outcome"} for c in done["cases"]] == body["cases"]
    assert set(_versions(any_app).values()) == {2}
    case_id = body["cases"][0]["case_id"]
    case = client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "anna.ops")).get_json()
    assert [t["name"] for t in case["open_tasks"]] == ["Identyfikacja i diagnoza"]
    again = client.post(URL, headers=admin, json={"from_version": 1, "to_version": 2, "dry_run": False}).get_json()
    assert (again["migrated"], again["cases"]) == (0, [])  # resumable: nothing is left on version 1
    with services(any_app).store.unit_of_work(write=False) as uow:
        audited = list(uow.session.scalars(select(AuditEntry.case_id).where(AuditEntry.action == "case.migrate")))
    assert sorted(audited) == sorted(_versions(any_app))


def test_a_version_lacking_the_waiting_task_is_refused_without_a_mapping(api_app, bearer):
    client = api_app.test_client()
    admin = bearer(client, "admin")
    _upload(client, admin, _edited(rename=False, drop_identify=True))
    plan = client.post(URL, headers=admin, json={"from_version": 1, "to_version": 2}).get_json()
    refused = [c for c in plan["cases"] if not c["movable"]]
    assert len(refused) == 2 and all("it waits at identify, which the new version lacks" in c["reasons"][0]
                                     for c in refused)
    applied = client.post(URL, headers=admin, json={"from_version": 1, "to_version": 2, "dry_run": False}).get_json()
    assert (applied["migrated"], applied["refused"], applied["remaining"]) == (1, 2, 2)
    mapped = client.post(URL, headers=admin, json={"from_version": 1, "to_version": 2, "dry_run": False,
                                                   "map": {"identify": "identify_v3"}}).get_json()
    assert (mapped["migrated"], mapped["refused"], mapped["remaining"]) == (2, 0, 0)
    assert {t["change"] for c in mapped["cases"] for t in c["tasks"]} == {"mapped"}


def test_who_may_migrate_and_bad_requests(api_app, bearer):
    client = api_app.test_client()
    admin = bearer(client, "admin")
    _upload(client, admin, _edited())
    body = {"from_version": 1, "to_version": 2}
    assert client.post(URL, json=body).status_code == 401
    for username in ("anna.ops", "teresa.sup", "inspektor", OUTSIDER):  # case workers, supervisor, auditor
        answer = client.post(URL, headers=bearer(client, username), json={**body, "dry_run": False})
        assert answer.status_code == 403, username
    services(api_app).deployers = DeployPolicy({KEY: frozenset({"ngo-bartoszyce"})})
    assert client.post(URL, headers=admin, json=body).status_code == 403  # the partnership may not deploy it
    services(api_app).deployers = DeployPolicy()
    assert client.post(URL, headers=admin, json={"from_version": 1, "to_version": 1}).status_code == 400
    assert client.post(URL, headers=admin, json={**body, "map": {"nope": "identify"}}).status_code == 400
    assert client.post(URL, headers=admin, json={"from_version": 1, "to_version": 7}).status_code == 404
    assert client.post("/api/v1/definitions/nope/migrations", headers=admin, json=body).status_code == 404
    assert client.post(URL, headers=admin, json={**body, "extra": 1}).status_code == 400
    assert set(_versions(api_app).values()) == {1}
    with services(api_app).store.unit_of_work(write=False) as uow:
        denied = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")))
    assert {e.detail["attempted"] for e in denied} >= {"case.migrate", "migration.plan"}
