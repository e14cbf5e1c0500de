"""No case value in any log record, whatever the logging configuration (GDPR art. 32, art. 5(1)(f)).

Two things put case data into log records, and neither is a message a developer wrote:

- SpiffWorkflow attaches the task's whole data (and internal data) to every record of its
  `spiff.task` and `spiff.data` loggers, as the `extra` attributes `data` and `internal_data`,
  whenever the `spiff.task` logger's own level is below INFO (its default, NOTSET, is). A JSON
  log formatter, or any handler that dumps a record's attributes, writes them out.
- An exception's text often quotes the value it failed on (`invalid literal for int() with
  base 10: 'ul. Ukryta 12'`, `KeyError: 'Kowalska'`), and a logged traceback prints the text of
  every exception in the chain.

`install` (run when the engine is imported) sets SpiffWorkflow's task logger to WARNING when no
level was chosen, so it no longer collects the data at all, and puts `NoCaseValues` on the
loggers that log cases or their failures: SpiffWorkflow's, the engine's, the scheduler's and the
web app's. The filter drops those attributes, and replaces a record's traceback with one that
keeps every frame and exception class but withholds the text of exceptions not known to be
worded without values (`trust_messages`: the domain errors, sealing errors, connection errors).

What pathways itself logs is written without values: element ids, classes, references, counts.
SQLAlchemy is told to hide statement parameters (`pathways.store.db.make_engine`), and the rows it
logs at DEBUG (`Row %r`, whenever its logger's effective level is DEBUG, e.g. the root's) are
dropped (`NoRows`): the statements stay, for whoever debugs queries.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

#: the attributes SpiffWorkflow adds to its records, holding task data
CASE_ATTRIBUTES = ("data", "internal_data")
#: the loggers `install` puts the filter on (a logger's filters see only its own records: a new
#: module logging failures under a name of its own adds it here)
LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn", "spiff.metrics",
           "pathways", "pathways.engine", "pathways.scheduler", "pathways.app", "pathways.web", "pathways.api",
           "pathways.tasks", "pathways.privacy", "pathways.reports", "pathways.server", "pathways.cli",
           "waitress", "gunicorn.error", "werkzeug", "apscheduler.scheduler", "apscheduler.executors.default")
WITHHELD = "(text withheld: it may quote case data)"

_trusted: tuple[type[BaseException], ...] = ()


def trust_messages(*classes: type[BaseException]) -> None:
    """Exceptions of these classes are worded without case values: their text stays in the log."""
    global _trusted
    _trusted = tuple(dict.fromkeys((*_trusted, *classes)))


def withheld_traceback(error: BaseException) -> str:
    """The traceback of `error` and its causes, with each untrusted exception's text withheld."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            current = None
    parts: list[str] = []
    for exc, link in reversed(chain):
        parts.append(_one(exc, exc.__traceback__))
        if link:
            parts.append(f"\n{link}\n\n")
    return "".join(parts).rstrip("\n")


def _one(exc: BaseException, tb: TracebackType | None) -> str:
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(traceback.extract_tb(tb))] if tb else []
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    text = str(exc) if isinstance(exc, _trusted) else (WITHHELD if str(exc) else "")
    return "".join(lines) + (f"{name}: {text}\n" if text else f"{name}\n")


class NoCaseValues(logging.Filter):
    """Drops SpiffWorkflow's task data from a record and withholds exception texts from its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in CASE_ATTRIBUTES:
            record.__dict__.pop(name, None)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = withheld_traceback(record.exc_info[1])
            record.exc_info = None
        return True


class NoRows(logging.Filter):
    """Drops the result rows SQLAlchemy's engine logs at DEBUG: they are case data."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Row %r"


_FILTER = NoCaseValues()
_NO_ROWS = NoRows()


def install() -> None:
    """Quiet SpiffWorkflow's task data and filter the loggers of `LOGGERS` (idempotent)."""
    task_logger = logging.getLogger("spiff.task")
    if task_logger.level == logging.NOTSET:  # below INFO, SpiffWorkflow collects task data for every record
        # WARNING, not INFO: an explicit INFO would print every task's state change whatever the
        # root logger's level (`pathways demo` printed them); `-v` shows the engine's own records
        task_logger.setLevel(logging.WARNING)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    rows_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _NO_ROWS not in rows_logger.filters:
        rows_logger.addFilter(_NO_ROWS)
