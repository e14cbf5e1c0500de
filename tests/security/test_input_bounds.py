"""Input bounds: a request either succeeds or changes nothing, on SQLite and PostgreSQL alike.

Text PostgreSQL cannot store (NUL, unpaired surrogates) anywhere in a request, and JSON beyond the
bounds (depth, keys and items, characters), answer 400 naming the parameter, never echoing it, and
write nothing (every table's row count is compared before and after). Exports never hand a
spreadsheet a formula, and the login page's `next` never redirects off-site or fails.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select, text, update

from pathways.core import services
from pathways.demo import PASSWORD
from pathways.engine.errors import InvalidData
from pathways.reports.export import render
from pathways.reports.figure import Column, Figure, Row, Scope
from pathways.store.models import Base, Case, HumanTask
from pathways.tasks import accounts
from pathways.tasks.cases import checked_start
from tests.e2e.api_fixtures import _template_db, any_app, api_app, login, person, pg_app  # noqa: F401 - fixtures
from tests.e2e.test_form_limits import _task
from tests.e2e.test_web_inbox import open_task
from tests.helpers import statute
from tests.security.web import csrf, sign_in

NUL = "\x00"
#: what a spreadsheet may read as the start of a formula (not imported: the test states the rule)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TASK_FILTERS = ["view", "pathway", "stage", "case_id", "priority_min", "q", "sort", "order", "page", "per_page"]
CASE_FILTERS = ["pathway", "stage", "status", "agency", "q", "sort", "page", "per_page"]
QUERIES = ([("/api/v1/tasks", f) for f in TASK_FILTERS] + [("/api/v1/tasks/count", f) for f in TASK_FILTERS]
           + [("/api/v1/cases", f) for f in CASE_FILTERS] + [("/api/v1/reports/workload", f) for f in ("pathway", "q")])
PAGE_QUERIES = [("/inbox", f) for f in ("pathway", "stage", "q", "sort")] + [("/cases", f) for f in CASE_FILTERS]
BAD_NEXT = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "/\\/evil.example",
            "/\r\nSet-Cookie: x=1", "/inbox\r\nLocation: https://evil.example", "/\t/evil.example",
            "javascript:alert(1)", "http:/evil.example", "///evil.example", "/%0d%0aX: y", "evil.example", " /x"]


def rows(app: Flask) -> dict[str, int]:
    """The row count of every table (web sessions aside: a page's visit may touch its own)."""
    with services(app).store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables if t.name != "web_sessions"}


def completed(app: Flask) -> int:
    with services(app).store.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(func.count()).where(HumanTask.status == "completed")) or 0


def _api(app: Flask, user: str = "anna.ops") -> tuple[FlaskClient, dict[str, str]]:
    client = app.test_client()
    return client, {"Authorization": f"Bearer {login(client, user)}"}


def _refused(response: Any, field: str | None = None) -> dict[str, Any]:
    """A 400 `invalid_data` in the API's shape, naming `field`, holding no NUL and no surrogate."""
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["code"] == "invalid_data", body
    if field is not None:
        assert field in body["fields"], body
    raw = response.get_data(as_text=True)
    assert "\\u0000" not in raw and NUL not in raw and "\\ud800" not in raw.lower()
    return dict(body)


def _page(app: Flask, user: str = "anna.ops") -> FlaskClient:
    web = app.test_client()
    assert sign_in(web, user).status_code == 302
    return web


# -- NUL in queries and paths ---------------------------------------------------------------------
@pytest.mark.parametrize(("path", "name"), QUERIES, ids=[f"{p}?{f}" for p, f in QUERIES])
def test_a_nul_in_any_filter_of_the_api_is_400(any_app, path, name):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    before = rows(any_app)
    _refused(client.get(f"{path}?{name}=a%00b", headers=headers), name)
    assert rows(any_app) == before


@pytest.mark.parametrize(("path", "name"), PAGE_QUERIES, ids=[f"{p}?{f}" for p, f in PAGE_QUERIES])
def test_a_nul_in_any_filter_of_the_pages_is_a_400_page(any_app, path, name):  # noqa: F811 - fixture
    web = _page(any_app)
    before = rows(any_app)
    response = web.get(f"{path}?{name}=%00")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert NUL not in response.get_data(as_text=True)
    assert rows(any_app) == before


@pytest.mark.parametrize("path", ["/api/v1/definitions/%00", "/api/v1/definitions/a%00b/diagram.svg",
                                  "/api/v1/tasks/%00", "/api/v1/tasks/%00/comments"])
def test_a_nul_in_the_path_is_400(any_app, path):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    _refused(client.get(path, headers=headers), "path")


def test_a_nul_in_a_parameter_name_is_400(any_app):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    _refused(client.get("/api/v1/cases?a%00b=1", headers=headers), "query")


# -- logging in -----------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_in_the_api_login_is_400_and_counts_nothing(any_app, field):  # noqa: F811 - fixture
    client = any_app.test_client()  # anonymous
    before = rows(any_app)
    body = {"username": "anna.ops", "password": PASSWORD, field: "anna\x00.ops"}
    _refused(client.post("/api/v1/auth/token", json=body), field)
    assert rows(any_app) == before  # no throttle row, no audit entry, no token


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_on_the_login_page_is_a_400_page(any_app, field):  # noqa: F811 - fixture
    web = any_app.test_client()
    token = csrf(web)
    before = rows(any_app)
    data = {"username": "anna.ops", "password": PASSWORD, "csrf_token": token, field: "x\x00y"}
    response = web.post("/login", data=data)
    assert response.status_code == 400 and "Set-Cookie" not in str(response.headers).replace("session=;", "")
    assert rows(any_app) == before


# -- comments, new cases, form values ---------------------------------------------------------------
def test_a_nul_in_a_comment_stores_nothing(any_app):  # noqa: F811 - fixture
    task = open_task(any_app, "crisis_intervention")
    client, headers = _api(any_app, "ewa.pup")
    web = _page(any_app, "ewa.pup")
    token = csrf(web, "/inbox")  # opening a page is an audited read: before counting
    before = rows(any_app)
    _refused(client.post(f"/api/v1/tasks/{task.id}/comments", json={"text": "ok\x00"}, headers=headers), "text")
    page = web.post(f"/tasks/{task.id}/comments", data={"text": "ok\x00", "csrf_token": token})
    assert page.status_code == 400
    assert rows(any_app) == before


def test_a_nul_in_the_beneficiary_starts_no_case(any_app):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    web = _page(any_app)
    token = csrf(web, "/cases")
    before = rows(any_app)
    _refused(client.post("/api/v1/cases", json={"pathway": "intake_referral", "beneficiary": "BEN\x00-1"},
                         headers=headers), "beneficiary")
    page = web.post("/cases", data={"pathway": "intake_referral", "beneficiary": "BEN\x00-1",
                                    "agencies": ["mops-bartoszyce"], "csrf_token": token})
    assert page.status_code == 400
    assert rows(any_app) == before


def test_a_nul_in_a_form_value_completes_nothing(any_app):  # noqa: F811 - fixture
    _, task_id = _task(any_app, "BEN-NUL")
    client, headers = _api(any_app)
    web = _page(any_app)
    token = csrf(web, f"/tasks/{task_id}")
    before, done = rows(any_app), completed(any_app)
    _refused(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"reference": "AB\x00C"}},
                         headers=headers), "data.reference")
    page = web.post(f"/tasks/{task_id}/complete",
                    data={"reference": "AB\x00C", "csrf_token": token})
    assert page.status_code == 400
    assert rows(any_app) == before and completed(any_app) == done
    # the same value without the NUL completes the task: the refusal was the NUL's alone
    ok = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"reference": "ABC"}}, headers=headers)
    assert ok.status_code == 200, ok.get_json()


# -- JSON: surrogates, depth, keys ------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    '{"username": "\\ud800", "password": "x"}',
    '{"username": "anna.ops", "password": "\\udfff"}',
    '{"username\\ud800": "anna.ops", "password": "x"}',
    '{"username": "anna.ops", "password": "a\\u0000"}',
])
def test_an_unpaired_surrogate_or_escaped_nul_in_json_is_400(any_app, body):  # noqa: F811 - fixture
    client = any_app.test_client()
    before = rows(any_app)
    _refused(client.post("/api/v1/auth/token", data=body, content_type="application/json"))
    assert rows(any_app) == before


def test_a_surrogate_as_raw_bytes_is_400():
    """UTF-8 bytes of a surrogate are not UTF-8 (Python's json would take them): refused too."""
    from pathways.app import create_app
    from tests.helpers import TestConfig

    app = create_app(TestConfig(database_url="sqlite://"))
    body = b'{"username": "\xed\xa0\x80", "password": "x"}'
    response = app.test_client().post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_data"


def _nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize("data", [
    {"beneficiary_pseudonym": _nested(200)},
    {"beneficiary_pseudonym": {str(n): n for n in range(20_000)}},
    {"beneficiary_pseudonym": list(range(20_000))},
    {"beneficiary_pseudonym": "\ud800"},
    {"beneficiary_pseudonym": "B" * 201},
], ids=["200 levels", "20000 keys", "20000 items", "surrogate", "201 characters"])
def test_over_deep_over_wide_or_unstorable_case_data_creates_nothing(any_app, data):  # noqa: F811 - fixture
    """The pseudonym of the start data is the one field any pathway takes: it was stored as sent."""
    client, headers = _api(any_app)
    before = rows(any_app)
    body = _refused(client.post("/api/v1/cases", json={"pathway": "intake_referral", "data": data}, headers=headers))
    assert [name.startswith("data.beneficiary_pseudonym") for name in body["fields"]] == [True], body
    assert rows(any_app) == before


def test_json_deeper_than_python_can_parse_is_400_not_500(any_app):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    before = rows(any_app)
    deep = '{"name": "x", "payload": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _refused(client.post("/api/v1/cases/1/messages", data=deep, content_type="application/json", headers=headers))
    assert rows(any_app) == before


@pytest.mark.parametrize("payload", [_nested(50), {str(n): n for n in range(20_000)}], ids=["50 levels", "20000 keys"])
def test_an_over_deep_or_over_wide_message_payload_is_refused(any_app, payload):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    before = rows(any_app)
    _refused(client.post("/api/v1/cases/1/messages", json={"name": "x", "payload": payload}, headers=headers))
    assert rows(any_app) == before


# -- the services refuse what a column cannot hold (the CLI's protection) ----------------------------
@pytest.mark.parametrize(("key", "beneficiary", "data", "field"), [
    ("intake_referral", "B" * 201, {}, "beneficiary"),
    ("k" * 201, "BEN-1", {}, "pathway"),
    ("intake_referral", "BEN\x00", {}, "beneficiary"),
    ("intake_referral", "", {"beneficiary_pseudonym": "\ud800"}, "data.beneficiary_pseudonym"),
    ("intake_referral", "", {"beneficiary_pseudonym": "B" * 201}, "data.beneficiary_pseudonym"),
    ("intake_referral", "BEN-1", _nested(40), "data.a.a.a.…"),
])
def test_the_services_refuse_over_long_or_unstorable_start_values(any_app, key, beneficiary, data, field):  # noqa: F811
    pathways = services(any_app)
    before = rows(any_app)
    with pytest.raises(InvalidData) as refused:
        checked_start(pathways.store, pathways.engine, key, data, beneficiary)
    assert field in refused.value.details["fields"]
    assert rows(any_app) == before


def test_an_over_long_beneficiary_is_400_over_http(any_app):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    before = rows(any_app)
    _refused(client.post("/api/v1/cases", json={"pathway": "intake_referral", "beneficiary": "B" * 201},
                         headers=headers), "beneficiary")
    assert rows(any_app) == before


# -- exports --------------------------------------------------------------------------------------
def _figure() -> Figure:
    columns = (Column("name", "Pathway"), Column("hours", "Hours", kind="decimal"))
    values = [f"{start}SUM(A1:A2)" for start in FORMULA_START] + ["-12", "plain", "ok=1"]
    return Figure("workload", "Workload", columns, [Row({"name": v, "hours": 1}) for v in values],
                  Scope(pathway="=cmd|'/c calc'!A1"), lang="en")


def test_csv_cells_never_start_a_formula():
    data = render(_figure(), "csv").decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(data, newline=""), delimiter=";"))
    cells = [line[0] for line in lines]
    assert cells == ["'" + f"{s}SUM(A1:A2)" for s in FORMULA_START] + ["'-12", "plain", "ok=1"]
    assert header == ["Pathway", "Hours"]


def test_xlsx_cells_are_text_never_formulas_and_control_characters_do_not_break_it():
    """XLSX cells have a type: a formula-led text is a quote-prefixed string cell, shown as typed."""
    figure = _figure()
    figure.rows.append(Row({"name": "bell\x07and\x01", "hours": 1}))
    book = load_workbook(io.BytesIO(render(figure, "xlsx")))
    sheet, scope = book.worksheets
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [f"{s}SUM(A1:A2)" for s in FORMULA_START] + [
        "-12", "plain", "ok=1", "bell\ufffdand\ufffd"]
    for cell in cells:
        assert cell.data_type == "s"
        assert cell.quotePrefix == cell.value.startswith(FORMULA_START), cell.value
    for row in (*sheet.iter_rows(), *scope.iter_rows()):
        for cell in row:
            assert cell.data_type != "f"
    pathway = scope.cell(row=1, column=2)
    assert pathway.value == "=cmd|'/c calc'!A1" and pathway.data_type == "s" and pathway.quotePrefix


@pytest.mark.parametrize("start", FORMULA_START)
def test_an_esf_export_of_a_formula_pseudonym_is_neutral(api_app, start):  # noqa: F811 - fixture
    """End to end: a pseudonym a spreadsheet would run, in the ESF participant table as CSV and XLSX."""
    pseudonym = f"{start}HYPERLINK(\"http://evil.example\")"
    client, headers = _api(api_app)
    started = client.post("/api/v1/cases", json={"pathway": "intake_referral", "beneficiary": person(api_app),
                                                 "agencies": ["mops-bartoszyce", "partnership"],
                                                 "bases": statute("partnership")}, headers=headers)
    assert started.status_code == 201, started.get_json()
    # pseudonyms are generated now, but a case from before registration existed keeps what was typed
    with services(api_app).store.unit_of_work() as uow:
        uow.session.execute(update(Case).where(Case.id == started.get_json()["id"]).values(beneficiary=pseudonym))
        uow.commit()
    client, headers = _api(api_app, "teresa.sup")
    response = client.get("/api/v1/reports/esf?format=csv", headers=headers)
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline=""), delimiter=";"))
    assert ["'" + pseudonym] in [[cell for cell in row if cell.endswith("evil.example\")")] for row in table]
    assert not any(cell.startswith(FORMULA_START) for row in table for cell in row)
    response = client.get("/api/v1/reports/esf?format=xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    found = [cell for row in sheet.iter_rows() for cell in row if cell.value == pseudonym]
    assert found and all(cell.data_type == "s" and cell.quotePrefix for cell in found)


# -- the login page's `next` --------------------------------------------------------------------------
@pytest.mark.parametrize("target", BAD_NEXT)
def test_a_bad_next_never_fails_and_never_leaves_the_site(any_app, target):  # noqa: F811 - fixture
    web = any_app.test_client()
    assert web.get(f"/login?next={quote(target)}").status_code == 200
    response = web.post(f"/login?next={quote(target)}",
                        data={"username": "anna.ops", "password": PASSWORD, "csrf_token": csrf(web)})
    assert response.status_code == 302, response.status
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost") and location.startswith("/")
    assert "\\" not in location and "\r" not in location and "\n" not in location
    assert not location.startswith("//")


def test_a_good_next_is_followed():  # a plain path on this site still works
    from pathways.web.session import _safe_next

    assert _safe_next("/cases?q=Łódź&status=active") == "/cases?q=Łódź&status=active"


def test_a_request_within_the_bounds_still_works(any_app):  # noqa: F811 - fixture
    client, headers = _api(any_app)
    ben = person(any_app)
    data = {"beneficiary_pseudonym": ben}
    response = client.post("/api/v1/cases", json={"pathway": "intake_referral", "beneficiary": ben,
                                                  "data": data}, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert client.get(f"/api/v1/cases?q={ben[:6].lower()}", headers=headers).get_json()["total"] == 1
    with services(any_app).store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from cases where beneficiary = :b"),
                            {"b": ben}).scalar_one() == 1
    assert json.dumps(data)


@pytest.mark.parametrize(("call", "field"), [
    (lambda p: accounts.add_agency(p.store, "c" * 65, "NGO", "Fundacja"), "code"),
    (lambda p: accounts.add_agency(p.store, "ngo-x", "NGO", "N" * 201), "name"),
    (lambda p: accounts.add_agency(p.store, "ngo-x", "NGO", "Fundacja", "C" * 101), "city"),
    (lambda p: accounts.create_user(p.store, p.roles, "u" * 65, "mops-bartoszyce", ["ops.social_worker"], PASSWORD,
                                    check_policy=False), "username"),
    (lambda p: accounts.create_user(p.store, p.roles, "new.user", "mops-bartoszyce", ["ops.social_worker"], PASSWORD,
                                    "F" * 201, check_policy=False), "full_name"),
    (lambda p: accounts.create_user(p.store, p.roles, "new\x00user", "mops-bartoszyce", ["ops.social_worker"],
                                    PASSWORD, check_policy=False), "username"),
], ids=["agency code", "agency name", "city", "username", "full name", "NUL username"])
def test_accounts_refuse_what_their_columns_cannot_hold(any_app, call, field):  # noqa: F811 - fixture
    """`pathways agency add` / `user add` call these: the CLI gets InvalidData, never a database error."""
    before = rows(any_app)
    with pytest.raises(InvalidData) as refused:
        call(services(any_app))
    assert field in refused.value.details["fields"]
    assert rows(any_app) == before


def test_every_operation_documents_the_400_of_the_edge(api_app):  # noqa: F811 - fixture
    document = api_app.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "400" in operation["responses"], f"{method.upper()} {path}"
