"""Values of hidden fields never leave through a side door: roles of a foreign kind, start data
that pre-fills another role's form, an anonymous health check that describes the partnership."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from pathways.core import services
from pathways.engine.errors import InvalidData
from pathways.store.models import Case, User, UserRole
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import login, make_app, person
from tests.e2e.test_api_cases import SHELTER, _complete_crisis
from tests.helpers import FIXTURES, WORKFLOWS, statute


def _grant_directly(app, username: str, role: str) -> None:
    """A role row written past every service (an old account, a hand-edited database)."""
    pathways = services(app)
    with pathways.store.unit_of_work() as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).one()
        uow.session.add(UserRole(user_id=user.id, role=role))
        uow.commit()


# -- roles of another agency kind ------------------------------------------------------------------
def test_an_ops_user_granted_an_ngo_role_is_refused(any_app):
    pathways = services(any_app)
    with pytest.raises(InvalidData) as refused:
        create_user(pathways.store, pathways.roles, "olek.ops", "mops-bartoszyce",
                    ["ops.social_worker", "ngo.crisis_interventionist"], "a long enough passphrase 42")
    assert refused.value.details["fields"] == {"roles": "not of this agency's kind: ngo.crisis_interventionist"}
    with pathways.store.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(User).where(User.username == "olek.ops")) == 0
    # built-in roles belong to no agency kind and may be given to anyone
    create_user(pathways.store, pathways.roles, "dana.ops", "mops-bartoszyce", ["ops.social_worker", "designer"],
                "a long enough passphrase 42")


def test_user_add_on_the_command_line_refuses_a_foreign_role(tmp_path):
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}
    cli = [sys.executable, "-m", "pathways.cli"]
    for args in (["db", "upgrade"], ["agency", "add", "mops", "--kind", "OPS", "--name", "MOPS"]):
        subprocess.run(cli + args, env=env, check=True, capture_output=True)
    done = subprocess.run(cli + ["user", "add", "olek", "--agency", "mops", "--role", "ngo.lawyer",
                                 "--password-stdin"], env=env, input="a long enough passphrase 42\n",
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "ngo.lawyer" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_role_of_a_foreign_kind_shows_no_sensitive_value(any_app):
    """anna.ops holds an NGO crisis role row (written past the services): she still may not see the
    shelter, which only the NGO's crisis interventionist may see."""
    _complete_crisis(any_app)
    _grant_directly(any_app, "anna.ops", "ngo.crisis_interventionist")
    client = any_app.test_client()
    anna = {"Authorization": f"Bearer {login(client, 'anna.ops')}"}
    response = client.get("/api/v1/cases/2", headers=anna)
    assert response.status_code == 200
    assert SHELTER not in response.get_data(as_text=True)
    assert response.get_json()["hidden_fields"] == ["shelter_location"]
    marek = {"Authorization": f"Bearer {login(client, 'marek.ngo')}"}
    assert client.get("/api/v1/cases/2", headers=marek).get_json()["data"]["shelter_location"] == SHELTER
    # and the foreign role is offered no task of the NGO's in her inbox
    tasks = client.get("/api/v1/tasks?view=all", headers=anna).get_json()["items"]
    assert all("ngo.crisis_interventionist" not in t["roles"] for t in tasks)


# -- start data --------------------------------------------------------------------------------
def _cases(app) -> int:
    with services(app).store.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Case)))


def test_start_data_takes_only_declared_fields(any_app):
    client = any_app.test_client()
    anna = {"Authorization": f"Bearer {login(client, 'anna.ops')}"}
    before = _cases(any_app)
    ben, other = person(any_app), person(any_app)
    response = client.post("/api/v1/cases", headers=anna, json={
        "pathway": "intake_referral", "beneficiary": ben,
        "data": {"beneficiary_pseudonym": ben, "shelter_location": "ul. Fałszywa 1", "risk_level": "low"},
        "agencies": ["mops-bartoszyce", "ngo-bartoszyce"], "bases": statute("ngo-bartoszyce")})
    body = response.get_json()
    assert response.status_code == 400, body
    assert set(body["fields"]) == {"data.risk_level", "data.shelter_location"}
    assert "Fałszywa" not in response.get_data(as_text=True)
    assert _cases(any_app) == before
    response = client.post("/api/v1/cases", headers=anna, json={
        "pathway": "intake_referral", "beneficiary": ben, "data": {"beneficiary_pseudonym": other},
        "agencies": ["mops-bartoszyce"]})
    assert response.status_code == 400 and set(response.get_json()["fields"]) == {"data.beneficiary_pseudonym"}
    assert _cases(any_app) == before


def test_a_start_form_declares_and_checks_start_data(api_app):
    """A pathway whose start event has a form takes those fields, validated like any form."""
    source = FIXTURES / "start_form.bpmn"
    pathways = services(api_app)
    pathways.deploy([source])
    client = api_app.test_client()
    anna = {"Authorization": f"Bearer {login(client, 'anna.ops')}"}
    ben = person(api_app)
    payload = {"pathway": "start_form_pathway", "beneficiary": ben, "agencies": ["mops-bartoszyce"]}
    response = client.post("/api/v1/cases", headers=anna, json={**payload, "data": {"referral_source": "police",
                                                                                    "referral_date": "2026-12-01"}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"] == {"referral_source": "police", "referral_date": "2026-12-01",
                                           "beneficiary_pseudonym": ben}
    response = client.post("/api/v1/cases", headers=anna, json={**payload, "data": {"referral_source": "aliens"}})
    assert response.status_code == 400 and set(response.get_json()["fields"]) == {"referral_source"}
    response = client.post("/api/v1/cases", headers=anna, json={**payload, "data": {"assessment": "x"}})
    assert response.status_code == 400 and set(response.get_json()["fields"]) == {"data.assessment"}


# -- the health endpoint -----------------------------------------------------------------------
def test_anonymous_health_says_only_up_or_down(any_app):
    client = any_app.test_client()
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "up"}
    anna = {"Authorization": f"Bearer {login(client, 'anna.ops')}"}
    assert client.get("/api/v1/health", headers=anna).get_json() == {"status": "ok", "database": "up"}
    wrong = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/health", headers=wrong).get_json() == {"status": "ok", "database": "up"}
    admin = client.get("/api/v1/health", headers={"Authorization": f"Bearer {login(client, 'admin')}"}).get_json()
    assert admin["status"] == "ok" and admin["cases"]["active"] >= 1
    assert "intake_referral" in {p["key"] for p in admin["pathways"]}


def test_health_says_down_when_the_database_is_gone():
    app = make_app("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503 and response.get_json() == {"status": "unavailable", "database": "down"}
