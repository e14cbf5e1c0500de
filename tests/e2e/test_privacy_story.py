"""Issue 15's whole story over HTTP, on SQLite and PostgreSQL.

An NGO registers a trafficking survivor and shares her case with the OPS under her consent; the OPS
works its task; the consent is withdrawn: the OPS gets 404 and its task leaves its inbox; the
person's data export lists every read the OPS made; after the retention period the case is
anonymised, the ESF table and the hours report stay exactly the same, and no identity, free text
or comment is left anywhere in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import or_, select

from pathways.base import clock
from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.cases import Actor
from pathways.privacy.retention import apply_retention, due_cases
from pathways.store.models import AuditEntry, Beneficiary, Case
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import _template_db, any_app, api_app, pg_app  # noqa: F401 - fixtures
from tests.integration.test_pathway_trafficking_survivors import IDENTIFIED
from tests.integration.test_privacy_retention import everything

IDENTITY = {"first_name": "Ołena", "last_name": "Kowalenko", "pesel": "92071512345", "birth_date": "1992-07-15",
            "phone": "+48 601 222 333", "address": "ul. Schronienia 7, Olsztyn"}
COMMENT = "Rozmawiałam z Ołeną, boi się wrócić do Przemyśla"
NOTES = "Zgłoszenie od Straży Granicznej w Przemyślu"


def _pesel() -> str:
    weights, digits = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3), "9207151234"
    return digits + str((10 - sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 10) % 10)


def _login(http: Any, username: str) -> dict[str, str]:
    token = http.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _task(case: dict[str, Any], element: str) -> str:
    (found,) = [t["id"] for t in case["open_tasks"] if t["element"] == element]
    return str(found)


def _reports(http: Any, headers: dict[str, str]) -> dict[str, Any]:
    return {name: _ok(http.get(f"/api/v1/reports/{name}", headers=headers))["rows"] for name in ("esf", "hours")}


def test_a_survivor_shared_on_consent_withdrawn_exported_and_anonymised(any_app: Flask) -> None:  # noqa: F811
    frozen = clock.FrozenClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC)).install()
    try:
        _story(any_app, frozen)
    finally:
        clock.set_source(None)


def _story(app: Flask, frozen: clock.FrozenClock) -> None:
    pathways = services(app)
    create_user(pathways.store, pathways.roles, "iod.ngo", "ngo-bartoszyce", ["auditor"], PASSWORD, "IOD fundacji",
                check_policy=False)
    http = app.test_client()
    ngo, ops = _login(http, "marek.ngo"), _login(http, "anna.ops")
    identity = {**IDENTITY, "pesel": _pesel()}

    # the NGO registers her (a generated pseudonym, the identity held apart) and records her consent
    person = _ok(http.post("/api/v1/people", headers=ngo, json={"identity": identity}), 201)
    pseudonym = person["pseudonym"]
    consent = _ok(http.post(f"/api/v1/people/{pseudonym}/consents", headers=ngo, json={
        "agency": "mops-bartoszyce", "purpose": "Pomoc socjalna w module I", "identity_shared": False,
        "given_on": "2026-12-07"}), 201)
    case = _ok(http.post("/api/v1/cases", headers=ngo, json={
        "pathway": "trafficking_survivors", "beneficiary": pseudonym,
        "agencies": ["ngo-bartoszyce", "mops-bartoszyce", "partnership"],
        "bases": {"mops-bartoszyce": {"basis": "consent", "consent": consent["id"]},
                  "partnership": {"basis": "statute", "statute": "esf_monitoring"}}}), 201)
    case_id = case["id"]
    bases = {a["code"]: a["basis"]["kind"] for a in case["agencies"]}
    assert bases == {"ngo-bartoszyce": "own", "mops-bartoszyce": "consent", "partnership": "statute"}
    _ok(http.post(f"/api/v1/tasks/{_task(case, 'identify_victim')}/complete", headers=ngo,
                  json={"data": {**IDENTIFIED, "identification_notes": NOTES}}))

    # the OPS sees the pseudonym, never the identity, and works its task
    assert _ok(http.get(f"/api/v1/people/{pseudonym}", headers=ops)).get("identity") is None
    social = _task(_ok(http.get(f"/api/v1/cases/{case_id}", headers=ops)), "social_help")
    inbox = _ok(http.get("/api/v1/tasks?view=all", headers=ops))["items"]
    assert social in {t["id"] for t in inbox}
    _ok(http.post(f"/api/v1/tasks/{social}/claim", headers=ops))
    _ok(http.get(f"/api/v1/tasks/{social}", headers=ops))
    _ok(http.post(f"/api/v1/tasks/{social}/comments", headers=ops, json={"text": COMMENT}), 201)

    # the consent is withdrawn: the OPS is out at once, its task gone from its inbox, nothing lost
    withdrawn = _ok(http.post(f"/api/v1/consents/{consent['id']}/withdraw", headers=ngo,
                              json={"note": "Wycofała zgodę na piśmie"}))
    assert withdrawn["removed_from"] == [case_id] and not withdrawn["active"]
    assert http.get(f"/api/v1/cases/{case_id}", headers=ops).status_code == 404
    assert http.get(f"/api/v1/tasks/{social}", headers=ops).status_code == 404
    assert social not in {t["id"] for t in _ok(http.get("/api/v1/tasks?view=all", headers=ops))["items"]}
    assert http.get(f"/api/v1/people/{pseudonym}", headers=ops).status_code == 404
    kept = _ok(http.get(f"/api/v1/cases/{case_id}", headers=ngo))
    assert [a["code"] for a in kept["agencies"]] == ["ngo-bartoszyce", "partnership"]
    assert {"TaskCompleted", "TaskClaimed", "AgencyRemoved"} <= {e["kind"] for e in kept["timeline"]}

    # the subject access export (the NGO's data protection officer) lists every read the OPS made
    auditor = _login(http, "iod.ngo")
    export = _ok(http.get(f"/api/v1/privacy/people/{pseudonym}/export", headers=auditor))
    assert export["person"]["identity"]["last_name"] == "Kowalenko"
    with pathways.store.unit_of_work(write=False) as uow:
        person_id = uow.session.scalars(select(Beneficiary.id).where(Beneficiary.pseudonym == pseudonym)).one()
        made = sorted((e.action, e.case_id, e.task_id) for e in uow.session.scalars(select(AuditEntry).where(
            AuditEntry.username == "anna.ops",
            or_(AuditEntry.case_id == case_id, AuditEntry.beneficiary_id == person_id))))
    logged = sorted((e["action"], e["case_id"], e["task_id"]) for e in export["access_log"]
                    if e["username"] == "anna.ops")
    assert {"case.read", "task.read"} <= {action for action, _, _ in made}
    assert logged == made  # every read and write the OPS made of her case, none left out
    assert {e["agency"]["code"] for e in export["access_log"] if e["username"] == "anna.ops"} == {"mops-bartoszyce"}
    html = http.get(f"/api/v1/privacy/people/{pseudonym}/export?format=html", headers=auditor)
    assert html.status_code == 200 and "Kowalenko" in html.get_data(as_text=True)

    # she leaves the programme; five years after that year ends, retention anonymises the case
    pathways.engine.cancel_case(Actor("marek.ngo"), case_id, "opuściła program")
    supervisor = _login(http, "teresa.sup")
    before = _reports(http, supervisor)
    frozen.advance(days=366 * 6)
    assert case_id in {c.case_id for c in due_cases(pathways.store)}
    assert apply_retention(pathways.store, pathways.engine, [case_id], actor="cli:test") == 1
    supervisor = _login(http, "teresa.sup")
    assert _reports(http, supervisor) == before
    stored = everything(pathways.store)
    for value in [*identity.values(), COMMENT, NOTES]:
        assert value not in stored, value
    with pathways.store.unit_of_work(write=False) as uow:
        anonymised = uow.session.get(Case, case_id)
        assert anonymised is not None and anonymised.anonymised_at is not None
    ngo = _login(http, "marek.ngo")
    person = _ok(http.get(f"/api/v1/people/{pseudonym}", headers=ngo))
    assert person["status"] == "erased" and person.get("identity") is None
    # and no new case collects her data under the old pseudonym
    refused = http.post("/api/v1/cases", headers=ngo,
                        json={"pathway": "trafficking_survivors", "beneficiary": pseudonym})
    assert refused.status_code == 400 and refused.get_json()["fields"] == {"beneficiary": "an erased person"}
