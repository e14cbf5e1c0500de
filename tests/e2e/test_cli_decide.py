"""`pathways decide`: a decision tried from a file or from a deployed pathway, as a user runs it."""

from __future__ import annotations

import json

from tests.e2e.test_cli import run  # noqa: F401 - the fixture
from tests.helpers import FIXTURES, WORKFLOWS

DMN = WORKFLOWS / "domestic_violence_women_eligibility.dmn"
DECISION = "domestic_violence_women_eligibility"
ELIGIBLE = {"consent_to_participate": True, "experienced_violence": True, "target_group": "convicted"}


def test_decide_on_a_file_prints_the_outputs_and_the_rules(run):  # noqa: F811
    result = run("decide", str(DMN), "--decision", DECISION, "--input", json.dumps(ELIGIBLE))
    assert result.returncode == 0, result.stderr
    assert "eligible = true" in result.stdout
    assert f"rules matched in {DECISION}: 3" in result.stdout
    as_json = json.loads(run("decide", str(DMN), "--decision", DECISION, "--input", json.dumps(
        {**ELIGIBLE, "target_group": "other"}), "--json").stdout)
    assert as_json["outputs"] == {"eligible": False, "eligibility_note": "Poza grupą docelową projektu"}
    assert as_json["hits"][0]["rules"] == [4]


def test_decide_on_a_deployed_pathway_and_from_an_input_file(run, tmp_path):  # noqa: F811
    assert run("deploy").returncode == 0
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({**ELIGIBLE, "consent_to_participate": False}), encoding="utf-8")
    result = run("decide", "domestic_violence_women", "--decision", DECISION, "--input", f"@{inputs}")
    assert result.returncode == 0, result.stderr
    assert "domestic_violence_women version 1" in result.stdout and "Brak zgody na udział" in result.stdout


def test_a_decision_without_a_result_exits_1_with_the_reason(run, tmp_path):  # noqa: F811
    overlapping = tmp_path / "overlap.dmn"
    # rule 4 matches every target group too: two rules for a convicted woman under UNIQUE
    overlapping.write_text(DMN.read_text(encoding="utf-8").replace("<text>\"other\"</text>", "<text>-</text>"),
                           encoding="utf-8")
    result = run("decide", str(overlapping), "--decision", DECISION, "--input", json.dumps(ELIGIBLE))
    assert result.returncode == 1 and "UNIQUE hit policy: rules 3 and 4" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_are_one_line_each(run, tmp_path):  # noqa: F811
    for args, expected in [
        (["--input", "{not json"], "not JSON"),
        (["--input", "[1, 2]"], "must be a JSON object"),
        (["--decision", "nope"], "no decision 'nope'"),
    ]:
        command = ["decide", str(DMN), "--decision", DECISION, *args]
        result = run(*command)
        assert result.returncode != 0 and expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    python_file = run("decide", str(FIXTURES / "instruments.dmn"), "--decision", "enough_instruments")
    assert python_file.returncode == 1 and "no decision 'enough_instruments'" in python_file.stderr
    unknown = run("decide", "no_such_pathway", "--decision", DECISION)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
