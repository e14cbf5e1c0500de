"""The audit log a data protection officer can use: who may read it (auditor, admin; nobody else,
on the API and the page), its filters, paging and CSV, that reading it is audited, and what is
audited: refusals (403 and the 404 of another agency's case) without case values, failed logins
without the typed name, command-line reads. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pathways.cli import main
from pathways.core import services
from pathways.demo import PASSWORD
from pathways.store.models import AuditEntry, Case
from pathways.tasks import throttle
from pathways.tasks.accounts import create_user
from tests.e2e.api_fixtures import OUTSIDER, login
from tests.helpers import WORKFLOWS
from tests.security.web import csrf, sign_in

AUDITOR, DESIGNER = "ida.audit", "dan.design"
AUDIT = "/api/v1/audit"


@pytest.fixture
def app(any_app):
    pathways = services(any_app)
    create_user(pathways.store, pathways.roles, AUDITOR, "partnership", ["auditor"], PASSWORD, "Ida Audytor",
                check_policy=False)
    create_user(pathways.store, pathways.roles, DESIGNER, "ngo-bartoszyce", ["designer"], PASSWORD, "Dan Projektant",
                check_policy=False)
    return any_app


def _headers(app, username):
    return {"Authorization": f"Bearer {login(app.test_client(), username)}"}


def _entries(app, **where):
    with services(app).store.unit_of_work(write=False) as uow:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(uow.session.scalars(query))


def _a_case(app, visible_to="anna.ops"):
    """A case of the demo data and its pseudonym (a case value that must never reach the log)."""
    listed = app.test_client().get("/api/v1/cases", headers=_headers(app, visible_to)).get_json()
    case = next(c for c in listed["items"] if c["beneficiary"])
    return case["id"], case["beneficiary"]


# -- who may read ------------------------------------------------------------------------------------
def test_auditors_and_admins_read_the_log_and_nobody_else(app):
    client = app.test_client()
    for reader in (AUDITOR, "admin"):
        response = client.get(AUDIT, headers=_headers(app, reader))
        assert response.status_code == 200, (reader, response.get_json())
        assert response.get_json()["total"] > 0
    for other in ("anna.ops", "teresa.sup", DESIGNER, "marek.ngo"):
        headers = _headers(app, other)
        assert client.get(AUDIT, headers=headers).status_code == 403, other
        assert client.get(AUDIT + "?format=csv", headers=headers).status_code == 403, other
        denied = _entries(app, username=other, action="access.denied")
        assert len(denied) == 2 and denied[0].detail == {"attempted": "audit.read_audit", "status": 403}
    assert client.get(AUDIT).status_code == 401


def test_the_page_is_for_auditors_and_admins_only(app):
    for reader in (AUDITOR, "admin"):
        web = app.test_client()
        sign_in(web, reader)
        page = web.get("/audit")
        assert page.status_code == 200 and "audit-list" in page.get_data(as_text=True), reader
        assert web.get("/audit/export.csv").status_code == 200
        assert '/audit"' in web.get("/inbox").get_data(as_text=True)  # in the menu
    for other in ("anna.ops", "teresa.sup", DESIGNER):
        web = app.test_client()
        sign_in(web, other)
        assert web.get("/audit").status_code == 403, other
        assert web.get("/audit/export.csv").status_code == 403, other
        assert '/audit"' not in web.get("/inbox").get_data(as_text=True)
        assert _entries(app, username=other, action="access.denied")[-1].detail["status"] == 403


def test_the_page_in_polish_and_english(app):
    web = app.test_client()
    sign_in(web, AUDITOR)
    polish = web.get("/audit").get_data(as_text=True)
    assert "Dziennik audytu" in polish and "Filtruj" in polish and "Czynność" in polish
    web.post("/language", data={"lang": "en", "csrf_token": csrf(web, "/audit")})
    english = web.get("/audit").get_data(as_text=True)
    assert "Audit log" in english and "Action" in english
    assert "<script" not in english and "style=" not in english  # the CSP allows neither inline
    invalid = web.get("/audit?from=soon&case=x")
    assert invalid.status_code == 400 and 'aria-invalid="true"' in invalid.get_data(as_text=True)


# -- reading is audited ------------------------------------------------------------------------------
def test_each_read_is_one_entry_with_its_filters(app):
    client = app.test_client()
    headers = _headers(app, AUDITOR)
    before = len(_entries(app, action="audit.read"))
    page = client.get(AUDIT + "?user=anna.ops&action=auth.&per_page=2", headers=headers).get_json()
    assert page["per_page"] == 2
    reads = _entries(app, action="audit.read")
    assert len(reads) == before + 1
    assert reads[-1].username == AUDITOR
    assert reads[-1].detail["filters"] == {"user": "anna.ops", "action": "auth."}
    assert reads[-1].detail["format"] == "json"
    client.get(AUDIT + "?format=csv&case=1", headers=headers)
    last = _entries(app, action="audit.read")[-1]
    assert last.detail["filters"] == {"case": 1} and last.detail["format"] == "csv"
    web = app.test_client()
    sign_in(web, "admin")
    web.get("/audit?action=web.login")
    assert _entries(app, action="audit.read")[-1].detail["filters"] == {"action": "web.login"}


# -- filters, paging, CSV ----------------------------------------------------------------------------
def test_filters_and_paging(app, frozen_clock):
    client = app.test_client()
    login(client, "anna.ops")
    frozen_clock.advance(days=2)
    login(client, "anna.ops")
    headers = _headers(app, AUDITOR)
    case_id, _ = _a_case(app)
    client.get(f"/api/v1/cases/{case_id}", headers=_headers(app, "anna.ops"))

    def get(query):
        response = client.get(AUDIT + "?" + query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    by_user = get("user=anna.ops")
    assert by_user["total"] >= 4 and {e["username"] for e in by_user["items"]} == {"anna.ops"}
    logins = get("user=anna.ops&action=auth.login")["items"]
    assert len(logins) == 4 and logins[0]["at"] > logins[-1]["at"]  # newest first (one two days earlier)
    assert {e["action"] for e in get("action=auth.")["items"]} <= {"auth.login", "auth.logout", "auth.failed"}
    read = get(f"case={case_id}&action=case.read")["items"]
    assert read and all(e["case_id"] == case_id for e in read)
    day = frozen_clock().date().isoformat()
    today = get(f"user=anna.ops&action=auth.login&from={day}&to={day}")["items"]
    assert len(today) == 3
    earlier = get(f"user=anna.ops&action=auth.login&to={frozen_clock().date().replace(day=3).isoformat()}")
    assert earlier["total"] == 1
    first, second = get("user=anna.ops&per_page=1&page=1"), get("user=anna.ops&per_page=1&page=2")
    assert first["total"] == second["total"] == by_user["total"]
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [e["id"] for e in by_user["items"][:2]]
    assert get(f"user=anna.ops&page={by_user['total'] + 1}") == {"items": [], "total": by_user["total"],
                                                                 "page": by_user["total"] + 1, "per_page": 50}
    for bad in ("from=yesterday", "case=x", "per_page=0", "page=0", "to=2026-01-01&from=2026-02-01"):
        response = client.get(AUDIT + "?" + bad, headers=headers)
        assert response.status_code == 400, bad


def test_csv_export_uses_the_reports_writer_and_neutralises_formulas(app):
    client = app.test_client()
    anna = _headers(app, "anna.ops")
    assert client.get("/api/v1/tasks/=HYPERLINK(1)", headers=anna).status_code == 404
    response = client.get(AUDIT + "?format=csv&user=anna.ops", headers=_headers(app, AUDITOR))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="audit.csv"' in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Entry", "Time (UTC)", "User", "Action", "Case", "Task", "Detail"]
    denied = next(r for r in rows[1:] if r[3] == "access.denied")
    assert denied[5] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert json.loads(denied[6]) == {"attempted": "task.read", "status": 404}


# -- what is audited ---------------------------------------------------------------------------------
def test_a_foreign_agencys_case_is_a_404_audited_without_case_values(app):
    case_id, pseudonym = _a_case(app)
    client = app.test_client()
    outsider = _headers(app, OUTSIDER)
    assert client.get(f"/api/v1/cases/{case_id}", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/messages", headers=outsider,
                       json={"name": "x", "payload": {}}).status_code == 404
    web = app.test_client()
    sign_in(web, OUTSIDER)
    assert web.get(f"/cases/{case_id}").status_code == 404
    denied = _entries(app, username=OUTSIDER, action="access.denied")
    assert [(e.case_id, e.detail) for e in denied] == [
        (case_id, {"attempted": "case.read", "status": 404}),
        (case_id, {"attempted": "case.message", "status": 404}),
        (case_id, {"attempted": "case.read", "status": 404})]
    assert pseudonym not in repr([(e.detail, e.task_id) for e in _entries(app)])
    # a case that does not exist is refused and audited alike (so the log tells nobody more)
    assert client.get("/api/v1/cases/99999", headers=outsider).status_code == 404
    assert _entries(app, username=OUTSIDER, action="access.denied")[-1].case_id == 99999


def test_a_403_is_audited_once(app):
    client = app.test_client()
    anna = _headers(app, "anna.ops")
    assert client.get("/api/v1/reports/stages", headers=anna).status_code == 403
    case_id, _ = _a_case(app)
    teresa = _headers(app, "teresa.sup")
    assert client.post(f"/api/v1/cases/{case_id}/messages", headers=teresa,
                       json={"name": "x", "payload": {}}).status_code == 403
    web = app.test_client()
    sign_in(web, "anna.ops")
    assert web.get("/designer").status_code == 403
    assert web.get("/supervisor").status_code == 403
    denied = [(e.username, e.case_id, e.detail) for e in _entries(app, action="access.denied")]
    assert denied == [
        ("anna.ops", None, {"attempted": "reports.get_figure", "status": 403}),
        ("teresa.sup", case_id, {"attempted": "case.message", "status": 403}),
        ("anna.ops", None, {"attempted": "web.designer", "status": 403}),
        ("anna.ops", None, {"attempted": "web.supervisor", "status": 403})]


def test_a_task_of_another_agency_is_audited(app):
    pathways = services(app)
    with pathways.store.unit_of_work(write=False) as uow:
        from pathways.store.models import HumanTask

        task = uow.session.scalars(select(HumanTask).where(HumanTask.status == "open")).first()
    client = app.test_client()
    outsider = _headers(app, OUTSIDER)
    assert client.get(f"/api/v1/tasks/{task.id}", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=outsider).status_code == 404
    denied = _entries(app, username=OUTSIDER, action="access.denied")
    assert [(e.task_id, e.detail["attempted"]) for e in denied] == [(task.id, "task.read"), (task.id, "task.claim")]


def test_failed_logins_keep_neither_the_typed_name_nor_the_password(app):
    client = app.test_client()
    client.post("/api/v1/auth/token", json={"username": "anna.ops", "password": "wrong-secret-1"})
    client.post("/api/v1/auth/token", json={"username": "my-Secret-Passphrase", "password": "wrong-secret-2"})
    web = app.test_client()
    sign_in(web, "Nobody.Here", "wrong-secret-3")
    failed = _entries(app, action="auth.failed")
    assert [e.username for e in failed] == ["anna.ops", "anonymous", "anonymous"]
    assert [e.detail["channel"] for e in failed] == ["api", "api", "web"]
    assert failed[1].detail["account_key"] == throttle.account_key("my-Secret-Passphrase")
    everything = repr([(e.username, e.detail) for e in failed]).casefold()
    assert "passphrase" not in everything and "nobody" not in everything and "wrong-secret" not in everything


def test_logins_and_logouts_are_audited(app):
    client = app.test_client()
    token = login(client, "ewa.pup")
    client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    web = app.test_client()
    sign_in(web, "ewa.pup")
    from tests.security.web import sign_out

    sign_out(web)
    actions = [e.action for e in _entries(app, username="ewa.pup") if e.action.startswith(("auth.", "web."))]
    assert actions == ["auth.login", "auth.logout", "web.login", "web.logout"]


# -- the command line --------------------------------------------------------------------------------
@pytest.fixture
def cli(app):
    env = {"PATHWAYS_DATABASE_URL": services(app).store.engine.url.render_as_string(hide_password=False),
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}
    return lambda *args: CliRunner().invoke(main, list(args), env=env)


def test_command_line_reads_are_audited(app, cli):
    with services(app).store.unit_of_work(write=False) as uow:
        case_id = uow.session.scalars(select(Case.id).order_by(Case.id)).first()
    shown = cli("case", "show", str(case_id))
    assert shown.exit_code == 0, shown.output
    read = _entries(app, action="case.read")[-1]
    assert read.case_id == case_id and read.username.startswith("cli") and read.user_id is None
    assert cli("report", "stages", "--format", "csv").exit_code == 0
    report = _entries(app, action="report.read")[-1]
    assert report.username.startswith("cli") and report.detail["via"] == "cli"


def test_pathways_audit_exports_and_is_audited(app, cli):
    login(app.test_client(), "anna.ops")
    as_json = cli("audit", "--user", "anna.ops", "--action", "auth.login")
    assert as_json.exit_code == 0, as_json.output
    entries = json.loads(as_json.stdout)
    assert entries and {e["action"] for e in entries} == {"auth.login"}
    as_csv = cli("audit", "--format", "csv", "--action", "auth.")
    assert as_csv.exit_code == 0 and as_csv.stdout.lstrip("\ufeff").startswith("Entry;Time (UTC)")
    reads = _entries(app, action="audit.read")
    assert [r.detail["format"] for r in reads] == ["json", "csv"]
    assert reads[0].username.startswith("cli") and reads[0].detail["filters"] == {"user": "anna.ops",
                                                                                  "action": "auth.login"}
    bad = cli("audit", "--from", "soon")
    assert bad.exit_code == 1 and "from" in bad.output and "Traceback" not in bad.output


def test_user_add_with_the_auditor_role(app, cli):
    added = cli("user", "add", "olga.dpo", "--agency", "partnership", "--role", "auditor", "--password-stdin")
    assert added.exit_code == 1  # no password on stdin: refused, nothing created
    result = CliRunner().invoke(main, ["user", "add", "olga.dpo", "--agency", "ngo-bartoszyce", "--role", "auditor",
                                       "--password-stdin"], input="cedar-window-river-58\n",
                                env={"PATHWAYS_DATABASE_URL": services(app).store.engine.url.render_as_string(
                                    hide_password=False), "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)})
    assert result.exit_code == 0 and "auditor" in result.output, result.output
    token = login(app.test_client(), "olga.dpo", "cedar-window-river-58")
    assert app.test_client().get(AUDIT, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # an auditor works no case: offered no task, starts none
    assert app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).get_json()[
        "total"] == 0


def test_a_search_for_a_pseudonym_is_audited_without_its_text(app):
    """The inbox and the case list record their filters; a typed search keeps only its length."""
    _case_id, pseudonym = _a_case(app)
    client = app.test_client()
    headers = _headers(app, "anna.ops")
    for path in ("/api/v1/tasks", "/api/v1/cases"):
        assert client.get(path, headers=headers, query_string={"q": pseudonym}).status_code == 200
    searches = [e for e in _entries(app, username="anna.ops") if e.action in ("task.list", "case.list")][-2:]
    assert [e.action for e in searches] == ["task.list", "case.list"]
    for entry in searches:
        assert pseudonym not in json.dumps(entry.detail)
    assert searches[0].detail["query"]["q"] == searches[1].detail["q"] == {"length": len(pseudonym)}
