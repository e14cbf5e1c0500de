"""The OpenAPI document says what the server answers (what a schema fuzzer found undocumented):
414 for an over-long address, in the JSON error shape; 415 on `POST /definitions`; the CSV and
XLSX content types of `/reports/{figure}`; the length bounds of a comment's text."""

from __future__ import annotations

import pytest

from pathways.limits import MAX_REQUEST_TARGET, request_target_length
from pathways.reports.export import CONTENT_TYPES
from pathways.tasks.work import MAX_COMMENT

pytest_plugins = ["tests.e2e.api_fixtures"]

ERROR = {"$ref": "#/components/schemas/Error"}
XLSX = CONTENT_TYPES["xlsx"]


@pytest.fixture
def spec(client):
    document = client.get("/api/v1/openapi.json").get_json()
    return document


def _response(spec, answer):
    """A response object, its `$ref` to components.responses followed."""
    ref = answer.get("$ref", "")
    return spec["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else answer


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation


def test_every_operation_documents_414_with_the_error_shape(spec):
    found = dict(_operations(spec))
    assert len(found) > 15
    for label, operation in found.items():
        answer = _response(spec, operation["responses"]["414"])
        assert answer["content"]["application/json"]["schema"] == ERROR, label
        assert f"{MAX_REQUEST_TARGET:,} bytes" in answer["description"]


def test_an_over_long_address_answers_the_documented_414(client, bearer):
    headers = bearer(client, "anna.ops")
    url = "/api/v1/tasks?q=" + "x" * MAX_REQUEST_TARGET
    response = client.get(url, headers=headers)
    body = response.get_json()
    assert (response.status_code, response.mimetype) == (414, "application/json")
    assert body == {"status": 414, "code": "uri_too_long", "message": body["message"]}
    just_below = client.get("/api/v1/tasks?q=" + "x" * (MAX_REQUEST_TARGET - len("/api/v1/tasks?q=")), headers=headers)
    assert just_below.get_json()["fields"] == {"q": "Longer than maximum length 200."}  # reached the view's checks
    page = client.get("/inbox?q=" + "x" * MAX_REQUEST_TARGET)
    assert (page.status_code, page.mimetype) == (414, "text/html")


def test_the_target_is_measured_as_sent():
    assert request_target_length({"RAW_URI": "/api/v1/tasks?q=%C5%BC"}) == len("/api/v1/tasks?q=%C5%BC")
    rebuilt = {"SCRIPT_NAME": "", "PATH_INFO": "/cases/ż", "QUERY_STRING": "q=1"}
    assert request_target_length(rebuilt) == len("/cases/%C5%BC?q=1")


def test_post_definitions_documents_415(spec, client, bearer):
    answer = _response(spec, spec["paths"]["/api/v1/definitions"]["post"]["responses"]["415"])
    assert answer["content"]["application/json"]["schema"] == ERROR
    headers = bearer(client, "admin")
    for response in (client.post("/api/v1/definitions", headers=headers, data=b"<x/>", content_type="application/xml"),
                     client.post("/api/v1/definitions", headers=headers, content_type="multipart/form-data",
                                 data={"file": [(__import__("io").BytesIO(b"\xff\xfe<x/>"), "a.bpmn")]})):
        assert response.status_code == 415 and response.get_json()["code"] == "unsupported_media_type"


def test_reports_document_their_csv_and_xlsx_files(spec, client, bearer):
    content = spec["paths"]["/api/v1/reports/{figure}"]["get"]["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Figure"}
    assert content["text/csv"]["schema"]["type"] == "string"
    assert content[XLSX]["schema"] == {"type": "string", "format": "binary"}
    headers = bearer(client, "teresa.sup")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/api/v1/reports/stages?format={fmt}", headers=headers)
        assert response.status_code == 200 and response.mimetype in content, fmt


def test_comment_text_has_the_bounds_the_server_enforces(spec, client, bearer):
    text = spec["components"]["schemas"]["CommentIn"]["properties"]["text"]
    assert (text["minLength"], text["maxLength"]) == (1, MAX_COMMENT)
    headers = bearer(client, "anna.ops")
    task = client.get("/api/v1/tasks?view=all", headers=headers).get_json()["items"][0]["id"]
    url = f"/api/v1/tasks/{task}/comments"
    assert client.post(url, headers=headers, json={"text": "x" * (MAX_COMMENT + 1)}).status_code == 400
    assert client.post(url, headers=headers, json={"text": ""}).status_code == 400
    assert client.post(url, headers=headers, json={"text": "x" * MAX_COMMENT}).status_code == 201
