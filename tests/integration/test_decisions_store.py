"""Business rule tasks on a database: the timeline says which decision, file version and rules decided,
and versions deployed before FEEL keep their Python cells (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from pathways.engine.actors import Actor
from pathways.engine.definitions import SourceFile, collect
from pathways.engine.deploy import deploy
from pathways.engine.errors import InvalidDefinition
from pathways.store.models import Case, CaseEvent, DefinitionBlob, PathwayVersion
from tests.helpers import FIXTURES, WORKFLOWS
from tests.pathway_driver import AGENCIES, PathwayDriver

PYTHON_DMN = (FIXTURES / "instruments.dmn").read_text(encoding="utf-8")
#: the same table as deployed before FEEL became the default: Python cells, no expressionLanguage
UNDECLARED = PYTHON_DMN.replace(' expressionLanguage="python"', "")


def _events(store, case_id, kind):
    with store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def test_the_timeline_names_the_decision_its_file_version_and_rules(store, engine, roles, frozen_clock):
    files = collect([WORKFLOWS / "domestic_violence_women.bpmn", WORKFLOWS / "domestic_violence_women_eligibility.dmn"])
    deploy(store, files, roles)
    driver = PathwayDriver(engine, store, frozen_clock)
    case_id = driver.start("domestic_violence_women")
    driver.complete(case_id, "recruitment", {"entry_date": "2026-11-02", "consent_to_participate": True,
                                             "experienced_violence": True, "target_group": "other"})
    dmn = next(f for f in files if f.filename.endswith(".dmn"))
    [made] = _events(store, case_id, "DecisionMade")
    assert made.element_id == "check_eligibility" and made.actor == f"ops.social_worker@{AGENCIES['OPS']}"
    assert made.after == {"decision": "domestic_violence_women_eligibility", "file": dmn.filename,
                          "version": hashlib.sha256(dmn.content).hexdigest()[:12],
                          "rules": {"domestic_violence_women_eligibility": [4]}}
    assert (driver.data(case_id)["eligible"], driver.data(case_id)["eligibility_note"]) == (
        False, "Poza grupą docelową projektu")


def _legacy_version(store) -> None:
    """What 0010 leaves of a version deployed before it: Python DMN cells, `dmn_language` NULL."""
    bpmn = (FIXTURES / "instruments.bpmn").read_text(encoding="utf-8")
    blobs = [DefinitionBlob(hash=hashlib.sha256(text.encode()).hexdigest(), filename=name, content=text)
             for name, text in (("instruments.bpmn", bpmn), ("instruments.dmn", UNDECLARED))]
    with store.unit_of_work() as uow:
        uow.session.add_all(blobs)
        uow.session.add(PathwayVersion(key="instrument_check", version=1, name="old", bundle_hash="old",
                                       files=[b.hash for b in blobs], dmn_language=None))
        uow.commit()


def test_a_version_deployed_before_feel_keeps_deciding_in_python(store, engine, roles):
    _legacy_version(store)
    enough = engine.start_case(Actor("anna.ops"), "instrument_check", {"instruments": ["educational", "health"]})
    too_few = engine.start_case(Actor("anna.ops"), "instrument_check", {"instruments": ["social"]})
    with store.unit_of_work(write=False) as uow:
        cases = {c.id: c for c in uow.session.scalars(select(Case))}
    assert cases[enough].status == "active" and cases[too_few].status == "completed"
    assert _events(store, enough, "DecisionMade") == []  # SpiffWorkflow's engine records no rules
    # the same cells deployed today are read as FEEL, where `len(...)` and `True` mean nothing:
    # lint refuses the file unless it declares Python, and then the new version records "feel"
    undeclared = SourceFile("instruments.dmn", UNDECLARED.encode())
    with pytest.raises(InvalidDefinition) as refused:
        deploy(store, [*collect([FIXTURES / "instruments.bpmn"]), undeclared], roles)
    assert any("True" in problem for problem in refused.value.details["problems"])
    deploy(store, collect([FIXTURES / "instruments.bpmn", FIXTURES / "instruments.dmn"]), roles)
    with store.unit_of_work(write=False) as uow:
        versions = list(uow.session.scalars(select(PathwayVersion).where(PathwayVersion.key == "instrument_check")
                                            .order_by(PathwayVersion.version)))
    assert [(v.version, v.dmn_language) for v in versions] == [(1, None), (2, "feel")]
