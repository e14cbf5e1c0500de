"""`pathways legal-basis ...`, `pathways case start --basis`, `pathways case agencies add|remove`:
the operator's commands go through the same basis check as the pages and the API."""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.test_cli import one_line_error, run  # noqa: F401  (fixture)


def _audit(tmp_path) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return list(db.execute("select action, username from audit_log order by id"))


def test_legal_bases_and_agencies_from_the_command_line(run, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    assert run("db", "upgrade").returncode == 0 and run("deploy").returncode == 0
    for code, kind in (("ops", "OPS"), ("pup", "PUP"), ("ngo", "NGO")):
        assert run("agency", "add", code, "--kind", kind, "--name", code).returncode == 0
    shown_list = run("legal-basis", "list", "--json")
    assert shown_list.returncode == 0, shown_list.stderr
    listed = json.loads(shown_list.stdout)
    assert "social_assistance_act" in {b["code"] for b in listed}
    assert "Traceback" not in run("legal-basis", "list").stderr
    added = run("legal-basis", "add", "esf_rules", "--title", "EFS+", "--gdpr", "art. 6(1)(e)")
    assert added.returncode == 0, added.stderr
    assert "code" in one_line_error(run("legal-basis", "add", "Bad Code", "--title", "x"))
    assert "already exists" in one_line_error(run("legal-basis", "add", "esf_rules", "--title", "x"))

    missing = one_line_error(run("case", "start", "intake_referral", "--agency", "ops", "--agency", "pup"))
    assert "bases.pup" in missing and "legal basis is required" in missing
    shape = one_line_error(run("case", "start", "intake_referral", "--agency", "ops", "--agency", "pup",
                               "--basis", "pup=whatever"))
    assert "statute:CODE or consent:ID" in shape
    unknown = one_line_error(run("case", "start", "intake_referral", "--agency", "ops", "--agency", "pup",
                                 "--basis", "pup=statute:no_such_act"))
    assert "not on the list of legal bases" in unknown
    consent = one_line_error(run("case", "start", "intake_referral", "--agency", "ops", "--agency", "pup",
                                 "--basis", "pup=consent:7"))
    assert "person" in consent  # a consent basis needs the case's registered person
    started = run("case", "start", "intake_referral", "--agency", "ops", "--agency", "pup",
                  "--basis", "pup=statute:labour_market_act")
    assert started.returncode == 0 and "started case 1" in started.stdout, started.stderr

    assert run("legal-basis", "retire", "esf_rules").returncode == 0
    retired = one_line_error(run("case", "agencies", "add", "1", "ngo", "--basis", "statute:esf_rules"))
    assert "not on the list" in retired
    joined = run("case", "agencies", "add", "1", "ngo", "--basis", "statute:social_assistance_act",
                 "--reason", "crisis support")
    assert joined.returncode == 0 and "ngo added" in joined.stdout, joined.stderr
    assert "already takes part" in one_line_error(
        run("case", "agencies", "add", "1", "ngo", "--basis", "statute:social_assistance_act"))
    assert "Missing option '--reason'" in run("case", "agencies", "remove", "1", "ngo").stderr
    left = run("case", "agencies", "remove", "1", "ngo", "--reason", "done")
    assert left.returncode == 0 and "ngo removed" in left.stdout, left.stderr
    assert "does not take part" in one_line_error(run("case", "agencies", "remove", "1", "ngo", "--reason", "x"))
    assert "does not exist" in one_line_error(run("case", "agencies", "remove", "9", "ngo", "--reason", "x"))
    shown = json.loads(run("case", "show", "1", "--json").stdout)
    assert [e["kind"] for e in shown["events"] if e["kind"].startswith("Agency")] == ["AgencyAdded", "AgencyRemoved"]
    actions = {action for action, user in _audit(tmp_path) if user.startswith("cli")}
    assert {"legal_basis.add", "legal_basis.retire", "legal_basis.list", "case.start", "case.agency.add",
            "case.agency.remove"} <= actions
