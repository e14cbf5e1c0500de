"""The error a user sees when a workflow action fails: located, worded, and never a case value.

`run(action, *args)` runs a SpiffWorkflow action (completing a task, engine steps, catching an
event) and turns whatever fails inside it into a `ScriptError` naming the element, the line and the
kind of error, with a reference under which the server log keeps the traceback.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException

from pathways.base import logs
from pathways.engine import uncaught
from pathways.engine.errors import PathwaysError, ScriptError, ScriptRaised

_log = logging.getLogger("pathways.engine")
logs.install()  # no case value in SpiffWorkflow's records, nor in the texts of logged tracebacks
#: the text Python gives a NameError, naming an identifier of the script
_UNDEFINED_NAME = re.compile(r"name '[A-Za-z_][A-Za-z0-9_]*' is not defined")


def run(action: Any, *args: Any) -> Any:
    """Run a workflow action, turning script failures into a located ScriptError (see `located`)."""
    try:
        return action(*args)
    except SpiffWorkflowException as exc:
        raise located(exc) from exc
    except (PathwaysError, uncaught.Uncaught):  # ours: worded already, or stopping the run on purpose
        raise
    except Exception as exc:  # a raw error from inside SpiffWorkflow (e.g. a message's correlation
        raise located(exc) from exc  # expression): located and worded like a script's, never a traceback


def located(exc: Exception) -> ScriptError:
    """The error a user sees for a failing script, condition or expression: never a case value.

    A Python exception's text often quotes the data it failed on (`KeyError: 'Kowalska'`,
    `invalid literal for int(): '8 lat'`), and the person reading the error may not be allowed to
    see that field. So the message names the element, the line and the kind of error (the
    exception's class, and for a `NameError` the missing name, which comes from the script, not
    the case), plus a short reference; the same, with the traceback, goes to the server log
    (logger `pathways.engine`) under that reference, the exceptions' texts withheld there too
    (`pathways.base.logs`: logs hold no case value either). Our own sandbox refusals and limits
    (`ScriptError`, `LimitExceeded`, worded without values) pass through with their class.
    """
    cause: BaseException | None = exc
    original: BaseException = exc
    while cause is not None and not isinstance(cause, ScriptError):
        if not isinstance(cause, SpiffWorkflowException):
            original = cause
        cause = cause.__cause__ or getattr(cause, "error", None) or cause.__context__
    task = getattr(exc, "task", None)
    element = task.task_spec.bpmn_id if task is not None else None
    where = f" at {element}" if element else ""
    if isinstance(cause, ScriptError):  # keeps its class: a LimitExceeded stays `limit_exceeded`
        details = {**cause.details, "element": cause.details.get("element") or element}
        return type(cause)(f"the pathway failed{where}: {cause.message}", **details)
    if isinstance(original, ScriptRaised):  # raised in a script worker: its class travelled by name
        kind = original.type_name
        if kind == "NameError" and _UNDEFINED_NAME.fullmatch(original.text):  # the name comes from the
            kind = f"{kind}: {original.text}"  # script; any other text (`raise NameError(x)`) may be data
    else:
        kind = type(original).__name__
        if isinstance(original, NameError) and original.name:
            kind = f"{kind}: {original.name!r} is not defined"
    line = getattr(exc, "line_number", None) or getattr(original, "line", None)
    at_line = f" (line {line})" if isinstance(line, int) and line > 0 else ""
    reference = secrets.token_hex(4)
    # what the user is told, plus the traceback (frames and classes; `pathways.base.logs` withholds
    # the exceptions' texts, which may quote the value a script failed on)
    _log.error("script failure %s%s%s: %s", reference, where, at_line, kind, exc_info=exc)
    return ScriptError(f"the pathway failed{where}{at_line}: {kind}; reference {reference} in the server log",
                       element=element, error=getattr(original, "type_name", type(original).__name__),
                       reference=reference)
