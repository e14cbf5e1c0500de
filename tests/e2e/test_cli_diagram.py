"""`pathways diagram`, run as a user would (a real subprocess, real files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import WORKFLOWS

INTAKE = WORKFLOWS / "intake_referral.bpmn"


@pytest.fixture
def run(tmp_path: Path):
    env = {**os.environ, "PATHWAYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PATHWAYS_WORKFLOWS_DIR": str(WORKFLOWS)}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pathways.cli", "diagram", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)

    return call


def test_help(run) -> None:
    result = run("--help")
    assert result.returncode == 0 and "--out-dir" in result.stdout and "--highlight" in result.stdout


def test_one_file_to_stdout_and_to_a_file(run, tmp_path: Path) -> None:
    printed = run(str(INTAKE), "--highlight", "identify, psych_diagnosis")
    assert printed.returncode == 0, printed.stderr
    root = etree.fromstring(printed.stdout.encode())
    highlighted = root.xpath("//*[contains(@class, 'bpmn-highlight')]/@data-element-id")
    assert sorted(highlighted) == ["identify", "psych_diagnosis"]
    target = tmp_path / "out" / "x.svg"
    target.parent.mkdir()
    written = run(str(INTAKE), "-o", str(target), "--process", "intake_referral")
    assert written.returncode == 0 and written.stdout == ""
    assert target.read_text(encoding="utf-8") == run(str(INTAKE)).stdout
    assert "Przyjęcie i skierowanie" in target.read_text(encoding="utf-8")


def test_several_files_into_a_folder(run, tmp_path: Path) -> None:
    no_di = tmp_path / "no_layout.bpmn"
    no_di.write_text(INTAKE.read_text(encoding="utf-8").split("<bpmndi:BPMNDiagram")[0] + "</bpmn:definitions>\n",
                     encoding="utf-8")
    result = run(str(WORKFLOWS), str(no_di), "--out-dir", str(tmp_path / "svg"))
    assert result.returncode == 1  # one file could not be drawn
    assert "Drawing" in result.stderr and "no_layout.bpmn" in result.stderr and "Traceback" not in result.stderr
    names = {p.name for p in (tmp_path / "svg").iterdir()}
    expected = {p.name.removesuffix(".bpmn") + ".svg" for p in WORKFLOWS.glob("*.bpmn")}
    assert names == expected  # DMN files in the folder are skipped, the file without DI is reported
    assert f"{len(expected)} diagram(s) written" in result.stderr


def test_usage_errors(run, tmp_path: Path) -> None:
    several = run(str(INTAKE), str(INTAKE))
    assert several.returncode == 2 and "--out-dir" in several.stderr
    missing = run(str(tmp_path / "nope.bpmn"))
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    unknown = run(str(INTAKE), "--process", "nope")
    assert unknown.returncode == 1 and "no process 'nope'" in unknown.stderr
