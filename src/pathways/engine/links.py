"""Link events: a throw/catch pair of the same name is a sequence flow drawn in two pieces.

SpiffWorkflow's parser does not know `linkEventDefinition` (it would build both events as "none"
events, so the path would silently end at the throw). BPMN defines a link as a jump to the catch
event of the same name in the same process or sub-process, so before the parser sees a file
`resolve` rewrites each pair as what it means: the throw event gets a sequence flow to the catch
event, and both become pass-through (none) intermediate events, keeping their ids (so the timeline
and diagram still name them). `problems` lists what cannot be resolved, for the linter.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from pathways.engine.parser import BPMN_NS

_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
_THROW, _CATCH = f"{{{BPMN_NS}}}intermediateThrowEvent", f"{{{BPMN_NS}}}intermediateCatchEvent"
_LINK = f"{{{BPMN_NS}}}linkEventDefinition"


def _name(event: Any) -> str:
    definition = event.find(_LINK)
    name = (definition.get("name") if definition is not None else None) or event.get("name") or ""
    return " ".join(name.split())  # modelers wrap long names differently in the throw and the catch


def _links(scope: Any, tag: str) -> list[Any]:
    return [child for child in scope if child.tag == tag and child.find(_LINK) is not None]


def _scopes(root: Any) -> Iterator[Any]:
    yield from root.iter(*(f"{{{BPMN_NS}}}{s}" for s in _SCOPES))


def problems(root: Any) -> Iterator[tuple[Any, str, str]]:
    """(element, message, hint) for each link event that does not resolve to exactly one catch."""
    for scope in _scopes(root):
        catches: dict[str, list[Any]] = {}
        for catch in _links(scope, _CATCH):
            catches.setdefault(_name(catch), []).append(catch)
        thrown = set()
        for throw in _links(scope, _THROW):
            name = _name(throw)
            thrown.add(name)
            found = catches.get(name, [])
            if len(found) != 1:
                what = "no" if not found else f"{len(found)}"
                yield (throw, f"link {name!r} has {what} catching link event of that name in this scope",
                       "give the throw and its one catch link event the same name, in the same (sub-)process")
        for name, found in catches.items():
            for catch in found:
                if name not in thrown:
                    yield (catch, f"no link event throws link {name!r}, so nothing can reach this event",
                           "add a throwing link event of the same name, or remove this one")


def resolve(root: Any) -> Any:
    """The document with each link pair rewritten as a sequence flow (a copy; `root` is unchanged)."""
    if next(root.iter(_LINK), None) is None:
        return root
    root = copy.deepcopy(root)
    for scope in _scopes(root):
        catches = {_name(c): c for c in _links(scope, _CATCH)}
        for throw in _links(scope, _THROW):
            catch = catches.get(_name(throw))
            if catch is None:
                continue
            flow = throw.makeelement(f"{{{BPMN_NS}}}sequenceFlow", {
                "id": f"{throw.get('id')}__link", "sourceRef": throw.get("id"), "targetRef": catch.get("id")})
            scope.append(flow)
        for event in (*_links(scope, _THROW), *_links(scope, _CATCH)):
            event.remove(event.find(_LINK))
            event.tag = _THROW
    return root
