"""The SVG renderer: structure, overlays, escaping, NoDiagram, and the third-party corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pathways.diagram import Badge, NoDiagram, render_svg
from pathways.diagram.files import svg_name
from pathways.engine.errors import PathwaysError
from tests.conftest import WORKFLOWS

SVG = "{http://www.w3.org/2000/svg}"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
INTAKE = WORKFLOWS / "intake_referral.bpmn"

SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="urn:test">
  <process id="small" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <task id="task" name="{name}"/>
  </process>
  {di}
</definitions>
"""
SMALL_DI = """<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="small">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="task_di" bpmnElement="task"><dc:Bounds x="200" y="78" width="100" height="80"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/>
    </bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"""


def small(name: str = "Task", di: str = SMALL_DI) -> bytes:
    return SMALL.format(name=name, di=di).encode()


def parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode())


def group(root: etree._Element, element_id: str) -> etree._Element:
    found = root.findall(f".//{SVG}g[@data-element-id='{element_id}']")
    assert len(found) == 1, element_id
    return found[0]


def text_of(node: etree._Element) -> str:
    return " ".join(" ".join(node.itertext()).split())


@pytest.fixture(scope="module")
def intake() -> etree._Element:
    return parse(render_svg(INTAKE.read_bytes(), filename=str(INTAKE)))


def test_one_group_per_di_shape_and_edge(intake: etree._Element) -> None:
    source = etree.parse(str(INTAKE)).getroot()
    plane = source.find(f".//{{{BPMNDI}}}BPMNPlane")
    drawn = {g.get("data-element-id") for g in intake.iter(f"{SVG}g") if g.get("data-element-id")}
    expected = [d.get("bpmnElement") for d in plane if etree.QName(d).localname in ("BPMNShape", "BPMNEdge")]
    assert len(intake.findall(f".//{SVG}g[@data-element-id]")) == len(expected)
    assert drawn == set(expected)


def test_document_shape(intake: etree._Element) -> None:
    assert intake.tag == f"{SVG}svg"
    x, y, w, h = (float(v) for v in intake.get("viewBox").split())
    assert (float(intake.get("width")), float(intake.get("height"))) == (w, h)
    # The pool starts at (160, 80): the view fits the content with a margin, not the origin.
    assert 100 < x < 160 and 20 < y < 80 and w < 1400
    assert intake.find(f"{SVG}title").text == "Przyjęcie i skierowanie"
    assert "sans-serif" in intake.get("font-family")


def test_kinds_are_css_classes(intake: etree._Element) -> None:
    assert "bpmn-userTask" in group(intake, "identify").get("class")
    assert "bpmn-lane" in group(intake, "lane_ops_psychologist").get("class")
    assert "bpmn-boundaryEvent" in group(intake, "crisis_overdue").get("class")
    assert "bpmn-exclusiveGateway" in group(intake, "ready_for_work").get("class")
    assert "bpmn-sequenceFlow" in group(intake, "flow_start_to_identify").get("class")


def test_lane_names_and_polish_text(intake: etree._Element) -> None:
    for lane, name in (("lane_ngo_crisis_interventionist", "Interwent kryzysowy (NGO)"),
                       ("lane_ops_social_worker", "Pracownik socjalny (OPS)"),
                       ("lane_ops_psychologist", "Psycholog (OPS)"),
                       ("lane_pup_career_adviser", "Doradca zawodowy (PUP)")):
        label = group(intake, lane).find(f"{SVG}text")
        assert text_of(label) == name
        assert label.get("transform", "").startswith("rotate(-90")
    assert "Eskalacja obsłużona" in text_of(group(intake, "escalation_done"))
    assert "Gotowość do aktywizacji?" in text_of(group(intake, "ready_for_work"))
    assert "Identyfikacja i diagnoza wstępna" in text_of(group(intake, "identify").find(f"{SVG}text"))


def test_default_and_boundary_markers(intake: etree._Element) -> None:
    default = group(intake, "flow_ready_to_follow_up")
    other = group(intake, "flow_ready_to_career_plan")
    assert len(default.findall(f"{SVG}polyline")) > len(other.findall(f"{SVG}polyline"))  # the slash
    boundary = group(intake, "crisis_overdue")
    assert any(c.get("stroke-dasharray") for c in boundary.findall(f"{SVG}circle"))  # non-interrupting
    assert boundary.find(f".//{SVG}g[@class='bpmn-marker bpmn-marker-timer']") is not None


def test_overlays_land_on_their_element() -> None:
    svg = render_svg(
        INTAKE.read_bytes(),
        highlight=["psych_diagnosis"],
        badges={"crisis_intervention": [Badge("3", "info"), Badge("1 po terminie", "danger")],
                "career_plan": [Badge("12", "ok")], "not_in_diagram": [Badge("9", "warn")]},
        titles={"identify": "Otwarte: 3 <pilne>"},
    )
    root = parse(svg)
    assert "bpmn-highlight" in group(root, "psych_diagnosis").get("class")
    assert "bpmn-highlight" not in group(root, "identify").get("class")
    assert group(root, "identify").find(f"{SVG}title").text == "Otwarte: 3 <pilne>"
    layers = root.findall(f".//{SVG}g[@data-badges-for]")
    assert {g.get("data-badges-for") for g in layers} == {"crisis_intervention", "career_plan"}
    crisis = root.find(f".//{SVG}g[@data-badges-for='crisis_intervention']")
    assert [text_of(b) for b in crisis] == ["3", "1 po terminie"]
    assert [b.get("class") for b in crisis] == ["bpmn-badge bpmn-badge-info", "bpmn-badge bpmn-badge-danger"]
    # The pills sit on the task's top-right corner (x 570..670, y 100).
    rect = crisis[-1].find(f"{SVG}rect")
    right = float(rect.get("x")) + float(rect.get("width"))
    assert 660 < right < 690 and abs(float(rect.get("y")) + float(rect.get("height")) / 2 - 100) < 1


def test_badge_tone_is_checked() -> None:
    with pytest.raises(ValueError, match="tone"):
        Badge("1", "purple")


def test_names_and_overlays_are_escaped() -> None:
    hostile = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    svg = render_svg(small(hostile), titles={"task": "<script>x</script>"},
                     badges={"task": [Badge("<script>", "warn")]}, highlight=['"><script>'])
    assert "<script" not in svg
    label = group(parse(svg), "task").find(f"{SVG}text")
    assert "".join(label.itertext()).replace(" ", "") == "<script>alert(1)</script>&co"  # wrapped, intact


def test_control_characters_from_callers_do_not_break_the_document() -> None:
    parse(render_svg(small(), titles={"task": "bell\x07 and nul\x00"}))


def test_no_diagram_without_di() -> None:
    with pytest.raises(NoDiagram) as caught:
        render_svg(small(di=""), filename="bez_ukladu.bpmn")
    assert caught.value.code == "no_diagram"
    assert "bez_ukladu.bpmn" in caught.value.message and "'small'" in caught.value.message
    assert isinstance(caught.value, PathwaysError)


def test_no_diagram_for_unknown_process() -> None:
    with pytest.raises(NoDiagram, match="nope") as caught:
        render_svg(INTAKE.read_bytes(), process_id="nope", filename="intake_referral.bpmn")
    assert "intake_referral.bpmn" in caught.value.message


def test_explicit_process_and_dmn() -> None:
    assert parse(render_svg(INTAKE.read_bytes(), process_id="intake_referral")) is not None
    dmn = b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d"/>'
    with pytest.raises(NoDiagram, match="not a BPMN file"):
        render_svg(dmn, filename="x.dmn")


def test_unsafe_xml_is_a_pathways_error() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(PathwaysError):
        render_svg(bomb)
    with pytest.raises(PathwaysError):
        render_svg(b"<definitions")


def test_svg_names() -> None:
    assert svg_name("workflows/intake_referral.bpmn") == "intake_referral.svg"
    assert svg_name("x/Timer-Intermediate.bpmn20.xml") == "Timer-Intermediate.svg"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_workflow_renders(path: Path) -> None:
    root = parse(render_svg(path.read_bytes(), filename=str(path)))
    assert root.findall(f".//{SVG}g[@data-element-id]")


def test_conformance_corpus_renders_or_says_why(conformance: Path) -> None:
    corpus = sorted(
        p for p in conformance.rglob("*") if p.is_file() and p.name.lower().endswith((".bpmn", ".bpmn20.xml")))
    drawn, refused = 0, []
    for path in corpus:
        try:
            svg = render_svg(path.read_bytes(), filename=str(path))
        except PathwaysError as exc:  # NoDiagram, or not well-formed / unsafe XML
            assert str(path) in exc.message, exc.message
            refused.append(path.name)
            continue
        parse(svg)  # well-formed
        drawn += 1
    assert drawn > len(refused)
    assert len(corpus) > 90
