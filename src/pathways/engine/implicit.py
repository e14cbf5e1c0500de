"""An activity with several outgoing sequence flows splits the path: BPMN's implicit parallel split.

BPMN lets an activity have several unconditional outgoing flows, each of which gets a token when
it completes (the same as a parallel gateway right after it). SpiffWorkflow's parser refuses
this for tasks and sub-processes, so before it sees a file `resolve` draws that gateway in: a
`parallelGateway` with id `<activity id>__split` between the activity and its flows. Conditional
flows leaving an activity are not rewritten; the linter refuses them (`lint_structure`).
"""

from __future__ import annotations

import copy
from typing import Any

from pathways.engine.parser import BPMN_NS

ACTIVITIES = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess")
_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
_FLOW, _CONDITION = f"{{{BPMN_NS}}}sequenceFlow", f"{{{BPMN_NS}}}conditionExpression"


def splits(scope: Any) -> dict[Any, list[Any]]:
    """The activities of `scope` that split the path, each with its (unconditional) outgoing flows."""
    flows = [c for c in scope if c.tag == _FLOW]
    found = {}
    for activity in scope:
        if activity.tag not in {f"{{{BPMN_NS}}}{a}" for a in ACTIVITIES}:
            continue
        leaving = [f for f in flows if f.get("sourceRef") == activity.get("id")]
        if len(leaving) > 1 and all(f.find(_CONDITION) is None for f in leaving):
            found[activity] = leaving
    return found


def resolve(root: Any) -> Any:
    """The document with a parallel gateway after each splitting activity (a copy if anything changed)."""
    scopes = [s for s in root.iter(*(f"{{{BPMN_NS}}}{t}" for t in _SCOPES)) if splits(s)]
    if not scopes:
        return root
    root = copy.deepcopy(root)
    for scope in root.iter(*(f"{{{BPMN_NS}}}{t}" for t in _SCOPES)):
        for activity, leaving in splits(scope).items():
            gateway_id = f"{activity.get('id')}__split"
            scope.append(activity.makeelement(f"{{{BPMN_NS}}}parallelGateway", {"id": gateway_id}))
            scope.append(activity.makeelement(_FLOW, {"id": f"{gateway_id}_in", "sourceRef": activity.get("id"),
                                                      "targetRef": gateway_id}))
            for flow in leaving:
                flow.set("sourceRef", gateway_id)
    return root
