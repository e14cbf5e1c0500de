"""Reading BPMN and DMN files (safe XML in `pathways.base.xml`): SpiffWorkflow's Camunda parser extended.

SpiffWorkflow's CamundaParser reads `camunda:formData` but not `camunda:candidateGroups`,
`camunda:dueDate`, `camunda:priority` or `camunda:assignee`, and it evaluates timer text as Python. The subclasses
here add those attributes to user-task specs, read start forms, and build timers that accept
literal ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ManualTask,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from pathways.engine import compensation, conditional, feel_conditions, mappings, message_events, multi
from pathways.engine.deciding import DecisionFiles, uses_feel
from pathways.engine.event_scopes import Boundary, EventStart
from pathways.engine.timers import make_timer_definition

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)


def document_kind(root: Any) -> str | None:
    """'bpmn', 'dmn' or None, from the root element's namespace."""
    namespace = etree.QName(root).namespace
    if namespace == BPMN_NS:
        return "bpmn"
    if namespace in DMN_NAMESPACES:
        return "dmn"
    return None


@dataclass(frozen=True)
class TaskAssignment:
    """What the BPMN says about who works a user task and by when."""

    candidate_groups: tuple[str, ...] = ()
    due_date: str | None = None
    priority: int = 50
    assignee: str | None = None  # a literal user name (`engine.preassign`); expressions are refused by lint
    candidate_users: tuple[str, ...] = ()  # literal user names (`engine.candidate_users`)


def read_assignment(node: Any) -> TaskAssignment:
    attr = node.attrib.get
    groups = attr(f"{{{CAMUNDA_NS}}}candidateGroups") or ""
    users = attr(f"{{{CAMUNDA_NS}}}candidateUsers") or ""
    priority_text = (attr(f"{{{CAMUNDA_NS}}}priority") or "").strip()
    return TaskAssignment(
        candidate_groups=tuple(g.strip() for g in groups.split(",") if g.strip()),
        due_date=(attr(f"{{{CAMUNDA_NS}}}dueDate") or "").strip() or None,
        priority=int(priority_text) if priority_text.lstrip("-").isdigit() else 50,
        assignee=(attr(f"{{{CAMUNDA_NS}}}assignee") or "").strip() or None,
        candidate_users=tuple(u.strip() for u in users.split(",") if u.strip()),
    )


class _AssignmentMixin:
    """Puts `assignment` (candidate groups, due date, priority) on human task specs."""

    node: Any

    def create_task(self) -> Any:
        task = super().create_task()  # type: ignore[misc]
        task.assignment = read_assignment(self.node)
        return task


class PathwaysUserTaskParser(_AssignmentMixin, UserTaskParser):  # type: ignore[misc]
    pass


class PathwaysManualTaskParser(_AssignmentMixin, CamundaTaskParser):  # type: ignore[misc]
    pass


class _TimerMixin:
    """Builds timers through `pathways.engine.timers` (literal ISO 8601 + the engine clock)."""

    node: Any
    filename: str

    def parse_timer_event(self, event: Any) -> Any:
        description = self.get_event_description(event)  # type: ignore[attr-defined]
        name = self.node.get("name", self.node.get("id"))
        for kind, tag in (("date", "timeDate"), ("duration", "timeDuration"), ("cycle", "timeCycle")):
            node = first(self.xpath(f".//bpmn:{tag}"))  # type: ignore[attr-defined]
            if node is not None:
                return make_timer_definition(kind, name, (node.text or "").strip(), description)
        raise ValidationException("timer has no timeDate, timeDuration or timeCycle", self.node, self.filename)

    def parse_conditional_event(self, event: Any) -> Any:
        """A condition read as flows' are (Python, FEEL or a translated Camunda expression: `engine.conditional`)."""
        return conditional.parse(self, event)


class PathwaysStartEventParser(_TimerMixin, CamundaStartEventParser):  # type: ignore[misc]
    """A start event may carry a start form (`camunda:formData`, as Camunda Modeler writes it):
    the fields a case may be started with (docs/bpmn-conventions.md, "Start data")."""

    get_form = UserTaskParser.get_form
    get_enum_field = UserTaskParser.get_enum_field

    def create_task(self) -> Any:
        if self.node.getparent().get("triggeredByEvent") == "true":
            task = self._event_subprocess_start()
        else:
            task = super().create_task()
        task.form = self.get_form()
        return task

    def _event_subprocess_start(self) -> Any:
        """The start of an event sub-process: also error and escalation starts, and `isInterrupting`
        (`engine.event_scopes`)."""
        definition = self.get_event_definition([MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH,
                                                CONDITIONAL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH])
        task = self._create_task(definition)
        self.spec.start.connect(task)
        task.interrupting = (self.node.get("isInterrupting") or "true").strip().lower() != "false"
        return task


class PathwaysCatchEventParser(_TimerMixin, CamundaIntermediateCatchEventParser):  # type: ignore[misc]
    pass


class PathwaysBoundaryEventParser(_TimerMixin, CamundaBoundaryEventParser):  # type: ignore[misc]
    pass


class PathwaysThrowEventParser(compensation.ThrowParserMixin, CamundaIntermediateThrowEventParser):  # type: ignore[misc]
    pass


class PathwaysEndEventParser(compensation.ThrowParserMixin, message_events.SignalEndEventParser):
    pass


class _PropertiesMixin:
    """`camunda:properties` of the element itself (not of nested elements) on every kind of node.

    SpiffWorkflow reads them only for Camunda task parsers, and with `.//`, so an embedded
    subprocess would take the properties of its children; stages must come from the element.
    """

    def parse_extensions(self, node: Any = None) -> dict[str, str]:
        found = self.xpath("./bpmn:extensionElements/camunda:properties/camunda:property")  # type: ignore[attr-defined]
        return {p.get("name"): p.get("value") for p in found if p.get("name")}

    def parse_message_event(self, message_event: Any) -> Any:
        """Every message event sends only the fields it names (`engine.message_events`)."""
        return message_events.parse(self, message_event)

    def parse_condition(self, sequence_flow: Any) -> str | None:
        """A flow's condition: Python, FEEL where the file says so, or a Camunda expression translated to Python
        (`engine.feel_conditions`, `engine.juel`)."""
        return feel_conditions.condition(first(self._xpath(sequence_flow, ".//bpmn:conditionExpression")))  # type: ignore[attr-defined]


_PROPERTY_PARSERS: dict[type, type] = {}


def _with_properties(parser_class: type) -> type:
    if parser_class not in _PROPERTY_PARSERS:
        _PROPERTY_PARSERS[parser_class] = type(parser_class.__name__,
                                               (_PropertiesMixin, mappings.MappingParserMixin,
                                                multi.MultiInstanceParserMixin, parser_class), {})
    return _PROPERTY_PARSERS[parser_class]


class PathwaysParser(CamundaParser):  # type: ignore[misc]
    """The Camunda 7 dialect as Camunda Modeler writes it, with pathways' extensions."""

    def _get_parser_class(self, tag: str) -> tuple[type | None, type | None]:
        parser_class, spec_class = super()._get_parser_class(tag)
        return (_with_properties(parser_class) if parser_class else None), spec_class

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (PathwaysUserTaskParser, UserTask),
        full_tag("manualTask"): (PathwaysManualTaskParser, ManualTask),
        full_tag("startEvent"): (PathwaysStartEventParser, EventStart),
        full_tag("intermediateCatchEvent"): (PathwaysCatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (PathwaysBoundaryEventParser, Boundary),
        full_tag("intermediateThrowEvent"): (PathwaysThrowEventParser, IntermediateThrowEvent),
        full_tag("endEvent"): (PathwaysEndEventParser, EndEvent),
    }
    PROCESS_PARSER_CLASS = compensation.CompensationProcessParser  # compensation handlers, unconnected

    def __init__(self, dmn_language: str = "feel") -> None:
        super().__init__()
        self.dmn_language = dmn_language  # for DMN files that declare no expressionLanguage
        self.feel_decisions = DecisionFiles()

    def add_document(self, root: Any, filename: str, version: str = "") -> None:
        """Add an already parsed (safe) document, BPMN or DMN; `version` names a DMN file's content."""
        if document_kind(root) != "dmn":
            self.add_bpmn_xml(root, filename)
        elif uses_feel(root, self.dmn_language):
            self.feel_decisions.add(root, filename, version)
        else:  # Python expressions: SpiffWorkflow's DMN engine through the sandbox (docs/decisions.md)
            self.add_dmn_xml(root, filename)

    def get_engine(self, decision_ref: str, node: Any) -> Any:
        """The `dmnEngine` of a business rule task: ours for FEEL files, SpiffWorkflow's for Python."""
        return self.feel_decisions.decider(decision_ref, node) or super().get_engine(decision_ref, node)
