"""Instance state without the definition.

SpiffWorkflow's stock serializer embeds the whole process spec in every snapshot, and
rebuilding it is most of the cost of loading a case. Here a snapshot holds only tasks, data and
events; the spec comes from the (cached) deployed version when the case is loaded.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from pathways.engine.message_events import MESSAGE_CONVERTERS
from pathways.engine.timers import TIMER_CONVERTERS

FORMAT = "pathways-state/1"


class InstanceStateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Like SpiffWorkflow's workflow converter, minus `spec` and `subprocess_specs`."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], specs: tuple[Any, dict[str, Any]] | None = None) -> Any:
        if specs is None:
            raise ValueError("instance state needs its specs to be restored")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = {**CAMUNDA_CONFIG, **TIMER_CONVERTERS, **MESSAGE_CONVERTERS, BpmnWorkflow: InstanceStateConverter}
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))


def dump(workflow: Any) -> str:
    """JSON text of the workflow's instance state."""
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = registry.convert(workflow)
        dct["format"] = FORMAT
        return json.dumps(dct, cls=_SERIALIZER._encoder_cls, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


def load(text: str, spec: Any, subprocess_specs: dict[str, Any]) -> Any:
    """Rebuild a workflow from `dump()` output and the specs of its version."""
    dct = json.loads(text)
    if dct.pop("format", None) != FORMAT:
        raise ValueError("not a pathways instance state")
    return _SERIALIZER.registry.restore(dct, specs=(spec, subprocess_specs))
