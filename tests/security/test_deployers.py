"""Who deployed each version (`deployed_by`, on GET /definitions and the designer pages), and an
installation's `workflows/deployers.toml`: a designer of an agency not allowed to deploy a
pathway gets 403 on the API and the page, audited; `pathways deploy` on the server stays allowed.
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pathways.cli import main
from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.errors import InvalidDefinition
from pathways.store.models import AuditEntry, PathwayVersion
from pathways.tasks.accounts import create_user
from pathways.tasks.deployers import DeployPolicy
from tests.e2e.api_fixtures import login
from tests.helpers import WORKFLOWS
from tests.security.web import csrf, sign_in

INTAKE = (WORKFLOWS / "intake_referral.bpmn").read_bytes()
CHANGED = INTAKE.replace(b'value="Identyfikacja"', b'value="Identyfikacja i diagnoza"')
DESIGNER = "dan.design"  # a designer of the NGO
POLICY = DeployPolicy({"intake_referral": frozenset({"partnership"})})


@pytest.fixture
def app(any_app):
    pathways = services(any_app)
    create_user(pathways.store, pathways.roles, DESIGNER, "ngo-bartoszyce", ["designer"], PASSWORD, "Dan Projektant",
                check_policy=False)
    pathways.deployers = POLICY
    return any_app


def _upload(app, username, content=CHANGED):
    headers = {"Authorization": f"Bearer {login(app.test_client(), username)}"}
    return app.test_client().post("/api/v1/definitions", headers=headers, content_type="multipart/form-data",
                                  data={"file": [(io.BytesIO(content), "intake_referral.bpmn")]})


def _versions(app, key="intake_referral"):
    with services(app).store.unit_of_work(write=False) as uow:
        return [(v.version, v.deployed_by) for v in uow.session.scalars(
            select(PathwayVersion).where(PathwayVersion.key == key).order_by(PathwayVersion.version))]


def _denied(app, username):
    with services(app).store.unit_of_work(write=False) as uow:
        return [e.detail for e in uow.session.scalars(select(AuditEntry).where(
            AuditEntry.username == username, AuditEntry.action == "access.denied").order_by(AuditEntry.id))]


def test_a_designer_of_an_agency_not_allowed_gets_403_and_it_is_audited(app):
    response = _upload(app, DESIGNER)
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"
    assert _versions(app) == [(1, None)]  # nothing deployed
    assert _denied(app, DESIGNER) == [{"attempted": "definition.deploy", "status": 403,
                                       "pathways": ["intake_referral"], "agency": "ngo-bartoszyce"}]
    # the same designer may deploy a pathway the file does not restrict
    services(app).deployers = DeployPolicy({"senior_care": frozenset({"partnership"})})
    assert _upload(app, DESIGNER).status_code == 201
    assert _versions(app) == [(1, None), (2, DESIGNER)]


def test_an_allowed_agency_deploys_and_the_deployer_is_shown(app):
    response = _upload(app, "admin")
    assert response.status_code == 201, response.get_json()
    assert _versions(app) == [(1, None), (2, "admin")]
    headers = {"Authorization": f"Bearer {login(app.test_client(), 'piotr.ops')}"}
    listed = app.test_client().get("/api/v1/definitions", headers=headers).get_json()
    assert next(d for d in listed if d["key"] == "intake_referral")["deployed_by"] == "admin"
    detail = app.test_client().get("/api/v1/definitions/intake_referral", headers=headers).get_json()
    assert detail["deployed_by"] == "admin" and [v["deployed_by"] for v in detail["versions"]] == [None, "admin"]
    web = app.test_client()
    sign_in(web, DESIGNER)
    page = web.get("/designer").get_data(as_text=True)
    assert '<td class="deployed-by">admin</td>' in page
    assert '<dd class="deployed-by">admin</dd>' in web.get("/designer/intake_referral").get_data(as_text=True)


def test_the_designer_page_refuses_alike(app):
    web = app.test_client()
    sign_in(web, DESIGNER)
    token = csrf(web, "/designer")
    response = web.post("/designer/upload", content_type="multipart/form-data",
                        data={"csrf_token": token, "file": [(io.BytesIO(CHANGED), "intake_referral.bpmn")]})
    assert response.status_code == 403
    assert _versions(app) == [(1, None)]
    assert _denied(app, DESIGNER)[-1]["attempted"] == "definition.deploy"


def test_the_command_line_deploys_whatever_the_file_says(app, tmp_path):
    workflows = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, workflows)
    (workflows / "intake_referral.bpmn").write_bytes(CHANGED)
    (workflows / "deployers.toml").write_text('[deployers]\n"*" = ["nobody"]\n', encoding="utf-8")
    env = {"PATHWAYS_DATABASE_URL": services(app).store.engine.url.render_as_string(hide_password=False),
           "PATHWAYS_WORKFLOWS_DIR": str(workflows)}
    result = CliRunner().invoke(main, ["deploy"], env=env)
    assert result.exit_code == 0 and "deployed intake_referral version 2" in result.output, result.output
    version, by = _versions(app)[-1]
    assert version == 2 and by.startswith("cli")


def test_the_policy_file(tmp_path):
    assert DeployPolicy.load(tmp_path / "missing.toml").allows("any", "any")
    path = tmp_path / "deployers.toml"
    path.write_text('[deployers]\nintake_referral = ["pup-x"]\n"*" = ["partnership"]\n', encoding="utf-8")
    policy = DeployPolicy.load(path)
    assert policy.allows("pup-x", "intake_referral") and not policy.allows("partnership", "intake_referral")
    assert policy.allows("partnership", "senior_care") and not policy.allows("pup-x", "senior_care")
    assert DeployPolicy.load(WORKFLOWS / "deployers.toml") == DeployPolicy()  # the shipped file restricts nothing
    for bad in ('[deployers]\nintake_referral = "pup-x"\n', "[deployers\n", 'deployers = 3\n'):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(InvalidDefinition):
            DeployPolicy.load(path)
