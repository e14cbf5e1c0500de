"""GET /api/v1/reports over HTTP with the demo data: who may read, the document, the exports."""

from __future__ import annotations

import pytest

from tests.e2e.api_fixtures import _template_db, api_app, bearer, client, token  # noqa: F401 - fixtures


def test_the_figures_are_listed_for_supervisors(client, bearer):  # noqa: F811
    response = client.get("/api/v1/reports", headers=bearer(client, "teresa.sup"))
    assert response.status_code == 200
    assert [f["figure"] for f in response.get_json()][:3] == ["stages", "funnel", "stage-times"]


@pytest.mark.parametrize("username", ["anna.ops", "ewa.pup", "marek.ngo", "olga.far"])
def test_case_workers_are_refused(client, bearer, username):  # noqa: F811
    for path in ("/api/v1/reports", "/api/v1/reports/stages", "/api/v1/reports/esf?format=csv"):
        response = client.get(path, headers=bearer(client, username))
        assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_stages_of_the_demo_cases_with_links(client, bearer):  # noqa: F811
    body = client.get("/api/v1/reports/stages", headers=bearer(client, "admin")).get_json()
    assert body["figure"] == "stages" and body["totals"] == {"cases": 3, "active": 3}
    rows = {(r["stage"], r["status"]): (r["cases"], r["links"]["cases"]) for r in body["rows"]}
    assert rows[("Identyfikacja", "active")] == (2, {"pathway": "intake_referral", "stage": "Identyfikacja",
                                                    "status": "active"})


def test_polish_labels_and_csv_file(client, bearer):  # noqa: F811
    body = client.get("/api/v1/reports/open-tasks?lang=pl", headers=bearer(client, "teresa.sup")).get_json()
    assert body["title"] == "Zadania otwarte i po terminie według instytucji i roli"
    response = client.get("/api/v1/reports/open-tasks?format=csv&lang=pl", headers=bearer(client, "teresa.sup"))
    assert response.headers["Content-Disposition"] == 'attachment; filename="open-tasks.csv"'
    text = response.data.decode("utf-8-sig")
    assert text.startswith("Kod instytucji;Instytucja;Rodzaj instytucji;Kod roli;Rola;Otwarte;Po terminie\r\n")
    assert "mops-bartoszyce;Miejski Ośrodek Pomocy Społecznej w Bartoszycach;OPS;ops.social_worker;" in text


def test_invalid_queries_answer_400_with_fields(client, bearer):  # noqa: F811
    headers = bearer(client, "teresa.sup")
    response = client.get("/api/v1/reports/stages?from=yesterday&lang=de", headers=headers)
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == {"from", "lang"}
    response = client.get("/api/v1/reports/stages?agency=nope", headers=headers)
    assert response.status_code == 400 and response.get_json()["fields"] == {"agency": "no agency 'nope'"}


def test_the_openapi_document_describes_the_reports(client):  # noqa: F811
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/{figure}"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"pathway", "agency", "from", "to", "format", "lang"}
    assert {"401", "403", "404"} <= set(operation["responses"])
