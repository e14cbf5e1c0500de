"""A one-script pathway for the hostile-script tests, uploaded and driven over HTTP.

`prepare` (a user task of ewa.pup's lane) -> `hostile` (a script task, SCRIPT) -> `after` (a user
task) -> end. A case waits at `prepare` with committed state; completing it (`secret`: a case value no error
may repeat) runs the script.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from flask.testing import FlaskClient

SECRET = "KOWALSKA-7781"  # a case value that no error may repeat

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_hostile"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="PROCESS" name="Hostile" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_broker" name="Pośrednik pracy (PUP)">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>prepare</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>hostile</bpmn:flowNodeRef><bpmn:flowNodeRef>after</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare"/>
    <bpmn:userTask id="prepare" name="Prepare">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="secret" label="Secret" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="hostile"/>
    <bpmn:scriptTask id="hostile" scriptFormat="python"><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="hostile" targetRef="after"/>
    <bpmn:userTask id="after" name="After"/>
    <bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def pathway(script: str, key: str = "hostile_pathway") -> bytes:
    return BPMN.replace("PROCESS", key).replace("SCRIPT", escape(script)).encode()


def upload(client: FlaskClient, headers: dict[str, Any], content: bytes, name: str = "hostile.bpmn") -> Any:
    return client.post("/api/v1/definitions", headers=headers, content_type="multipart/form-data",
                       data={"file": [(io.BytesIO(content), name)]})


def start(client: FlaskClient, headers: dict[str, Any], key: str = "hostile_pathway") -> dict[str, Any]:
    response = client.post("/api/v1/cases", headers=headers,
                           json={"pathway": key})
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def open_task(case: dict[str, Any], element: str) -> str:
    found = [t["id"] for t in case["open_tasks"] if t["element"] == element]
    assert found, case["open_tasks"]
    return str(found[0])
