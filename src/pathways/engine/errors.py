"""Domain exceptions raised by the engine and task services.

They carry no HTTP knowledge: the API maps them to status codes in one place.
"""

from __future__ import annotations

from pathways.base import logs


class PathwaysError(Exception):
    """Base class: every error a user may see. `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(PathwaysError):
    code = "not_found"


class NotAllowed(PathwaysError):
    code = "forbidden"


class Conflict(PathwaysError):
    """Another command changed the same case first; nothing was written."""

    code = "conflict"


class TaskNotOpen(Conflict):
    code = "task_not_open"


class InvalidDefinition(PathwaysError):
    """A BPMN/DMN file cannot be deployed; `details['problems']` lists lint problems."""

    code = "invalid_definition"


class InvalidData(PathwaysError):
    """Submitted data is wrong; `details['fields']` maps field id -> message."""

    code = "invalid_data"


class ScriptError(PathwaysError):
    """A script, condition or expression was refused by the sandbox or failed at run time."""

    code = "script_error"


class MessageNotExpected(PathwaysError):
    code = "message_not_expected"


class CaseNotActive(Conflict):
    code = "case_not_active"


class CaseSuspended(CaseNotActive):
    """The case is suspended (`pathways.engine.lifecycle`): its tasks and timers wait for a resume."""

    code = "case_suspended"


class LimitExceeded(ScriptError):
    """A script or a command's run went past a hard limit (time, memory, steps, state size,
    multi-instance cardinality). The message names the element and the kind of limit only, never
    a case value; `details` has `element` and `limit`. Nothing of the command was written."""

    code = "limit_exceeded"


class ScriptRaised(Exception):
    """A script's own exception, raised in a script worker and sent back as its class name and text.

    Not a `PathwaysError`: its text may quote case values (`KeyError: 'Kowalska'`), so it is never
    shown as it is; `located.located` reports its class, line and a log reference instead.
    """

    def __init__(self, type_name: str, message: str, line: int | None = None) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.text, self.line = type_name, message, line


# worded without case values (the rule of every error a user may see): their texts stay in the log
logs.trust_messages(PathwaysError)
