"""The person's rights on SQLite and PostgreSQL: access (export), rectification, the register.

Retention and erasure are in test_privacy_retention.py.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update

from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.privacy import export_html
from pathways.privacy.export import export_person
from pathways.privacy.rectify import rectify
from pathways.privacy.register import build_register, register_markdown
from pathways.store.models import AuditEntry, CaseAgency, CaseEvent, Consent, HumanTask, TaskComment
from pathways.tasks.cases import case_detail
from tests.conftest import WORKFLOWS
from tests.integration.test_pathway_trafficking_survivors import IDENTIFIED, KEY, submit
from tests.pathway_driver import PathwayDriver
from tests.privacy_fixtures import IDENTITY, register_person, start_for


@pytest.fixture
def driver(store, roles, frozen_clock):
    deploy(store, collect([WORKFLOWS / f"{KEY}.bpmn"]), roles)
    return PathwayDriver(Engine(store, roles), store, frozen_clock)


AGENCIES = ["ngo-test", "ops-test", "pup-test"]
UNKNOWN = "B-2222-22"  # well formed, the check symbol right


def entries(store, action=None):
    with store.unit_of_work(write=False) as uow:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(uow.session.scalars(query))


def person_with_case(driver):
    person = register_person(driver)
    case_id = start_for(driver, person, KEY, agencies=AGENCIES)
    submit(driver, case_id, "identify_victim", IDENTIFIED)
    return person, case_id


def test_export_holds_everything_and_is_for_the_auditor_only(driver):
    person, case_id = person_with_case(driver)
    ngo, ops = driver.user("ngo.crisis_interventionist"), driver.user("ops.social_worker")
    auditor = driver.user("auditor", "ngo-test")
    with driver.store.unit_of_work() as uow:
        s = uow.session
        task = s.scalars(select(HumanTask).where(HumanTask.case_id == case_id)).first()
        s.add(TaskComment(task_id=task.id, case_id=case_id, user_id=ngo.id, text="Rozmowa <b>telefoniczna</b>"))
        s.add(Consent(beneficiary_id=person.id, agency_id=ops.agency_id, case_id=case_id, purpose="pomoc socjalna",
                      identity_shared=False, given_on=driver.clock(), taken_by=ngo.id))
        s.execute(update(CaseAgency).where(CaseAgency.case_id == case_id).values(basis="own"))
        uow.commit()
    case_detail(driver.store, driver.engine, ops, case_id)  # OPS reads the case: the log must show it

    # an auditor answers for their own agency's people only: a foreign agency's auditor is told nothing
    with pytest.raises(NotFound):
        export_person(driver.store, driver.engine, driver.user("auditor", "ngo-foreign"), person.pseudonym)
    found = export_person(driver.store, driver.engine, auditor, person.pseudonym.lower())
    assert found["person"]["pseudonym"] == person.pseudonym
    assert found["person"]["identity"]["pesel"] == IDENTITY["pesel"]
    assert found["person"]["agency"]["code"] == "ngo-test"
    assert [c["purpose"] for c in found["consents"]] == ["pomoc socjalna"]
    [case] = found["cases"]
    assert case["id"] == case_id and case["status"] == "active" and case["kept_until"] is None
    data = {d["field"]: d["value"] for d in case["data"]}
    assert data["identity_data"] == IDENTIFIED["identity_data"]  # sensitive: the person gets it all
    assert {d["label"] for d in case["data"]} >= {"Data przystąpienia do programu"}
    assert {a["code"]: a["basis"] for a in case["agencies"]} == dict.fromkeys(AGENCIES, "own")
    assert [c["text"] for c in case["comments"]] == ["Rozmowa <b>telefoniczna</b>"]
    assert {(m["kind"], m["value"]) for m in case["measures"]} == {("hours", "3.00")}
    assert "TaskCompleted" in [e["kind"] for e in case["timeline"]]
    assert case["stages"][0]["stage"] == "Identyfikacja"
    assert any(t["status"] == "completed" for t in case["tasks"])
    reads = [e for e in found["access_log"] if e["action"] == "case.read"]
    assert [(e["username"], e["agency"]["code"], e["case_id"]) for e in reads] == [(ops.username, "ops-test", case_id)]

    [entry] = entries(driver.store, "privacy.export")
    assert (entry.username, entry.beneficiary_id, entry.detail) == (auditor.username, person.id,
                                                                   {"format": "json", "cases": 1})
    again = export_person(driver.store, driver.engine, auditor, person.pseudonym)
    assert "privacy.export" in [e["action"] for e in again["access_log"]]  # the first export is itself logged

    html = export_html.render(found)
    assert '<html lang="pl">' in html and "@media print" in html
    assert "Informacja o danych osobowych" in html and IDENTITY["last_name"] in html
    assert "Rozmowa &lt;b&gt;telefoniczna&lt;/b&gt;" in html and "<b>telefoniczna" not in html

    for user in (ngo, driver.user("supervision.supervisor"), driver.user("admin")):
        with pytest.raises(NotAllowed):
            export_person(driver.store, driver.engine, user, person.pseudonym)
    denied = entries(driver.store, "access.denied")
    assert [e.detail["attempted"] for e in denied] == ["privacy.export"] * 4  # with the foreign auditor's
    with pytest.raises(InvalidData):
        export_person(driver.store, driver.engine, auditor, "Zofia Wiśniewska")
    with pytest.raises(InvalidData):
        export_person(driver.store, driver.engine, auditor, "B-" + "X" * 5000)
    with pytest.raises(NotFound):
        export_person(driver.store, driver.engine, auditor, UNKNOWN if person.pseudonym != UNKNOWN else "B-3333-3H")


def test_export_by_operator_is_audited_as_the_cli(driver):
    person, _ = person_with_case(driver)
    export_person(driver.store, driver.engine, None, person.pseudonym, fmt="html", actor="cli:iod")
    [entry] = entries(driver.store, "privacy.export")
    assert (entry.username, entry.user_id, entry.detail["format"]) == ("cli:iod", None, "html")


def test_a_collecting_role_rectifies_a_value(driver):
    person, case_id = person_with_case(driver)
    ngo = driver.user("ngo.crisis_interventionist")
    version = driver.case(case_id).version
    result = rectify(driver.store, driver.engine, ngo, case_id, "entry_date", "2026-10-30", "data z dokumentu",
                     version=version)
    assert result == {"case_id": case_id, "field": "entry_date", "version": version + 1}
    assert driver.data(case_id)["entry_date"] == "2026-10-30"
    with driver.store.unit_of_work(write=False) as uow:
        event = uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == "ValueCorrected")).one()
        assert event.actor == ngo.username
        assert event.before == {"entry_date": IDENTIFIED["entry_date"]}
        assert event.after == {"entry_date": "2026-10-30",
                               "correction": {"field": "entry_date", "reason": "data z dokumentu"}}
    [entry] = entries(driver.store, "case.rectify")
    assert (entry.case_id, entry.detail) == (case_id, {"field": "entry_date"})
    # the work goes on with the corrected value
    submit(driver, case_id, "crisis_intervention", {"crisis_start_date": "2026-11-02", "safety_risk": "low",
                                                     "safety_plan": "-", "crisis_result": "stabilised", "hours": 1})
    assert driver.data(case_id)["entry_date"] == "2026-10-30"


def test_a_sensitive_correction_is_sealed_and_hidden_from_other_roles(driver):
    person, case_id = person_with_case(driver)
    ngo, ops = driver.user("ngo.crisis_interventionist"), driver.user("ops.social_worker")
    rectify(driver.store, driver.engine, ngo, case_id, "identification_notes", "Zgłoszenie ze Straży Granicznej",
            "pomyłka w źródle")
    assert driver.data(case_id)["identification_notes"] == "Zgłoszenie ze Straży Granicznej"
    with driver.store.engine.connect() as conn:
        raw = " ".join(str(v) for v in conn.execute(text(
            "SELECT before, after FROM case_events WHERE kind = 'ValueCorrected'")).one())
    assert "Straży Granicznej" not in raw and "komisariatu" not in raw and "pomyłka" not in raw
    timeline = case_detail(driver.store, driver.engine, ops, case_id)["timeline"]
    [corrected] = [e for e in timeline if e["kind"] == "ValueCorrected"]
    assert "identification_notes" not in corrected["before"] and "identification_notes" not in corrected["after"]
    assert corrected["after"]["correction"] == {"field": "identification_notes"}  # the reason may tell the value
    mine = case_detail(driver.store, driver.engine, ngo, case_id)["timeline"]
    [seen] = [e for e in mine if e["kind"] == "ValueCorrected"]
    assert seen["after"]["identification_notes"] == "Zgłoszenie ze Straży Granicznej"
    assert seen["after"]["correction"]["reason"] == "pomyłka w źródle"


def test_rectification_refusals_change_nothing(driver):
    person, case_id = person_with_case(driver)
    ngo, ops = driver.user("ngo.crisis_interventionist"), driver.user("ops.social_worker")
    foreign = driver.user("ngo.crisis_interventionist", "ngo-foreign")
    before, version = driver.data(case_id), driver.case(case_id).version

    def refused(error, user, field="entry_date", value="2026-10-01", reason="powód", **kw):
        with pytest.raises(error) as caught:
            rectify(driver.store, driver.engine, user, case_id, field, value, reason, **kw)
        return caught.value

    refused(NotFound, foreign)  # another agency: no such case
    assert "collect" in refused(NotAllowed, ops).message  # OPS takes part but does not collect it
    assert "feeds" in refused(InvalidData, ngo, "hours", 5).message
    assert refused(InvalidData, ngo, "no_such_field").details["fields"] == {"field": "unknown field"}
    assert refused(InvalidData, ngo, value="30.10.2026").details["fields"] == {"value": "must be a date as YYYY-MM-DD"}
    assert refused(InvalidData, ngo, "entry_situation", "<script>").details["fields"]["value"].startswith("must be one")
    refused(InvalidData, ngo, reason="  ")
    refused(InvalidData, ngo, reason="x" * 100_000)
    refused(InvalidData, ngo, field="f" * 10_000)
    refused(InvalidData, ngo, "crisis_start_date", "2026-11-02")  # not collected yet: nothing to correct
    refused(Conflict, ngo, version=version - 1)
    refused(Conflict, ngo, expected="1999-01-01", check_expected=True)  # the value changed since it was seen
    assert driver.data(case_id) == before and driver.case(case_id).version == version
    assert not entries(driver.store, "case.rectify")
    denied = [e.detail["attempted"] for e in entries(driver.store, "access.denied")]
    assert denied == ["case.rectify", "case.rectify"]


def test_register_lists_every_field_with_who_sees_it(driver):
    found = build_register(driver.store, driver.engine)
    [pathway] = found["pathways"]
    assert (pathway["key"], pathway["retention"], pathway["retention_declared"]) == (KEY, "P5Y", False)
    fields = {f["id"]: f for f in pathway["fields"]}
    notes = fields["identification_notes"]
    assert notes["sensitive"] and notes["wiped_on_anonymisation"] and notes["agency_kinds"] == ["NGO"]
    assert notes["collected_at"] == [{"element": "identify_victim", "name": "Identyfikacja ofiary handlu ludźmi",
                                      "stage": "Identyfikacja"}]
    assert not fields["entry_situation"]["sensitive"] and fields["entry_situation"]["agency_kinds"] == \
        pathway["agency_kinds"]
    assert {"NGO", "OPS", "PUP"} <= set(pathway["agency_kinds"])
    assert not fields["entry_date"]["wiped_on_anonymisation"]  # an ESF+ indicator, kept
    assert {b["code"] for b in pathway["legal_bases"]} >= {"consent"}
    markdown = register_markdown(found)
    assert "| `identification_notes` |" in markdown and "P5Y" in markdown
    json.dumps(found, default=str)
