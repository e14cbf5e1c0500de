"""Pathway definitions over HTTP: browse, upload (lint + deploy), draw."""

from __future__ import annotations

import io

from sqlalchemy import select

from pathways.core import services
from pathways.store.models import AuditEntry
from tests.helpers import FIXTURES, WORKFLOWS

pytest_plugins = ["tests.e2e.api_fixtures"]

INTAKE = (WORKFLOWS / "intake_referral.bpmn").read_bytes()


def _upload(client, headers, *files):
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/api/v1/definitions", headers=headers, data=data, content_type="multipart/form-data")


def test_list_and_detail(client, bearer):
    headers = bearer(client, "piotr.ops")
    listed = client.get("/api/v1/definitions", headers=headers).get_json()
    intake = next(d for d in listed if d["key"] == "intake_referral")
    assert intake == {"key": "intake_referral", "name": "Przyjęcie i skierowanie", "latest_version": 1,
                      "versions": 1, "deployed_at": intake["deployed_at"], "deployed_by": None}
    detail = client.get("/api/v1/definitions/intake_referral", headers=headers).get_json()
    assert detail["version"] == 1 and [v["version"] for v in detail["versions"]] == [1]
    assert detail["files"] == ["intake_referral.bpmn"]
    assert detail["stages"][:2] == ["Identyfikacja", "Interwencja kryzysowa"]
    lanes = {lane["name"]: lane for lane in detail["lanes"]}
    assert lanes["Interwent kryzysowy (NGO)"] == {"name": "Interwent kryzysowy (NGO)",
                                                  "roles": ["ngo.crisis_interventionist"], "agency_kinds": ["NGO"]}
    tasks = {t["id"]: t for t in detail["user_tasks"]}
    crisis = tasks["crisis_intervention"]
    assert crisis["roles"] == ["ngo.crisis_interventionist"] and crisis["due_date"] == "PT72H"
    fields = {f["id"]: f for f in crisis["form"]}
    assert fields["hours"]["type"] == "long" and fields["hours"]["constraints"]["max"] == "40"
    assert fields["shelter_location"]["properties"] == {"sensitive": "true"}
    assert [o["id"] for o in fields["outcome"]["options"]] == ["stabilised", "referred", "declined"]
    assert tasks["escalate_overdue"]["roles"] == ["supervision.supervisor"]


def test_unknown_pathway_or_version_is_404(client, bearer):
    headers = bearer(client, "anna.ops")
    assert client.get("/api/v1/definitions/nope", headers=headers).get_json()["code"] == "not_found"
    assert client.get("/api/v1/definitions/intake_referral?version=9", headers=headers).status_code == 404
    assert client.get("/api/v1/definitions/intake_referral/diagram.svg?version=9", headers=headers).status_code == 404
    assert client.get("/api/v1/definitions/intake_referral?version=x", headers=headers).status_code == 400


def test_designer_uploads_a_new_version_and_old_versions_stay(client, bearer):
    headers = bearer(client, "admin")
    changed = INTAKE.replace(b'value="Identyfikacja"', b'value="Identyfikacja i diagnoza"')
    response = _upload(client, headers, ("intake_referral.bpmn", changed))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created"] == [{"key": "intake_referral", "version": 2}]
    again = _upload(client, headers, ("intake_referral.bpmn", changed)).get_json()
    assert again["created"] == [] and again["unchanged"] == [{"key": "intake_referral", "version": 2}]
    latest = client.get("/api/v1/definitions/intake_referral", headers=headers).get_json()
    assert latest["version"] == 2 and latest["stages"][0] == "Identyfikacja i diagnoza"
    assert [v["version"] for v in latest["versions"]] == [1, 2]
    first = client.get("/api/v1/definitions/intake_referral?version=1", headers=headers).get_json()
    assert first["stages"][0] == "Identyfikacja"
    with services(client.application).store.unit_of_work(write=False) as uow:
        actions = list(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.username == "admin")))
    assert actions.count("definition.deploy") == 2


def test_upload_is_linted_with_the_deployed_files_it_needs(client, bearer):
    headers = bearer(client, "admin")
    dmn = (FIXTURES / "instruments.dmn").read_bytes()
    bpmn = (FIXTURES / "instruments.bpmn").read_bytes()
    alone = _upload(client, headers, ("instruments.bpmn", bpmn))
    assert alone.status_code == 400 and alone.get_json()["problems"]  # the decision is nowhere yet
    assert _upload(client, headers, ("instruments.dmn", dmn)).status_code == 201
    deployed = _upload(client, headers, ("instruments.bpmn", bpmn))
    assert deployed.get_json()["created"] == [{"key": "instrument_check", "version": 1}]
    detail = client.get("/api/v1/definitions/instrument_check", headers=headers).get_json()
    assert detail["files"] == ["instruments.bpmn", "instruments.dmn"]
    # a changed decision redeploys the process that uses it
    changed = _upload(client, headers, ("instruments.dmn", dmn.replace(b"dwa instrumenty", b"2 instrumenty")))
    assert changed.get_json()["created"] == [{"key": "instrument_check", "version": 2}]


def test_lint_problems_are_400_with_located_problems_and_nothing_deploys(client, bearer):
    headers = bearer(client, "admin")
    broken = INTAKE.replace(b'name="Psycholog (OPS)"', b'name="Czarodziej"')
    response = _upload(client, headers, ("intake_referral.bpmn", broken), ("other.bpmn", INTAKE))
    body = response.get_json()
    assert response.status_code == 400 and body["code"] == "invalid_definition"
    problem = next(p for p in body["problems"] if "Czarodziej" in p["message"])
    assert set(problem) >= {"file", "line", "element", "message", "hint"}
    assert problem["file"] == "intake_referral.bpmn" and problem["line"] > 0
    listed = client.get("/api/v1/definitions", headers=headers).get_json()
    assert next(d for d in listed if d["key"] == "intake_referral")["versions"] == 1


def test_only_designers_and_admins_upload(client, bearer, api_app):
    for user in ("anna.ops", "teresa.sup", "marek.ngo"):
        assert _upload(client, bearer(client, user), ("x.bpmn", INTAKE)).status_code == 403, user
    assert _upload(client, {}, ("x.bpmn", INTAKE)).status_code == 401


def test_bad_uploads(client, bearer):
    headers = bearer(client, "admin")
    assert client.post("/api/v1/definitions", headers=headers, data=INTAKE,
                       content_type="application/xml").status_code == 415
    assert _upload(client, headers, ("notes.txt", b"just text")).get_json()["code"] == "unsupported_media_type"
    empty = client.post("/api/v1/definitions", headers=headers, data={"other": "x"},
                        content_type="multipart/form-data")
    assert empty.status_code == 400
    huge = _upload(client, headers, ("big.bpmn", b"<x>" + b"a" * (5 * 1024 * 1024) + b"</x>"))
    assert huge.status_code == 413 and "5 MiB" in huge.get_json()["message"]
    assert _upload(client, headers, ("bad.bpmn", b"<definitions><unclosed>")).status_code == 400


def test_diagram_svg(client, bearer):
    headers = bearer(client, "ewa.pup")
    response = client.get("/api/v1/definitions/intake_referral/diagram.svg", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    admin = bearer(client, "admin")
    _upload(client, admin, ("instruments.dmn", (FIXTURES / "instruments.dmn").read_bytes()),
            ("instruments.bpmn", (FIXTURES / "instruments.bpmn").read_bytes()))
    no_di = client.get("/api/v1/definitions/instrument_check/diagram.svg", headers=headers)
    assert no_di.status_code == 404 and no_di.get_json()["code"] == "no_diagram"
