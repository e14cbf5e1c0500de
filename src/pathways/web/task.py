"""The task page: the form generated from the BPMN, the case beside it, comments, and the commands.

    GET  /tasks/<id>             the task, its form (editable when `can.complete`), case summary, comments
    POST /tasks/<id>/complete    the form; invalid values: the page again, messages beside the fields
    POST /tasks/<id>/claim | unclaim | assign (username) | comments (text)

Every handler calls one service of `pathways.tasks.work` with `g.user`, like the API. The form is
`get_task`'s form description turned into widgets (`widgets`); the services' English validation
messages are shown in the page's language by their kind (`tasks.forms.error_kind`). A conflict
(someone else claimed or completed the task first) is a flash message and a redirect back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.engine.errors import Conflict, InvalidData, PathwaysError
from pathways.tasks import forms, work
from pathways.web.i18n import current_locale
from pathways.web.inbox import priority_label
from pathways.web.session import _safe_next, bp, login_required


def _(text: str, **values: Any) -> str:
    """gettext, typed: a page string in the page's language."""
    return str(gettext(text, **values))

#: a string field is a multi-line text area when it may be long or its id says it holds notes
LONG_TEXT = 200
NOTE_WORDS = ("notes", "note", "description", "comment", "summary")


# -- the form's widgets --------------------------------------------------------------------------
def widget(field: dict[str, Any]) -> str:
    """Which control shows a form field (see templates/_form_field.html)."""
    kind = field["type"]
    if field["redacted"]:
        return "redacted"
    if field["readonly"]:
        return "readonly"
    if kind == "enum":
        return "select"
    if kind == "boolean":
        return "radio" if field["required"] else "checkbox"
    if kind in ("date", "long", "decimal"):
        return "date" if kind == "date" else "number"
    long_text = (field["maxlength"] or 0) > LONG_TEXT
    return "textarea" if long_text or any(word in field["id"].lower() for word in NOTE_WORDS) else "text"


def _shown_value(field: dict[str, Any]) -> Any:
    return field["value"] if field["value"] is not None else field["default"]


def _as_input(value: Any) -> str:
    """A stored value as a form control holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def widgets(fields: list[dict[str, Any]], submitted: dict[str, str] | None = None,
            errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The fields with their control, the value to show (submitted on error) and a message."""
    found = []
    for field in fields:
        kind = widget(field)
        value = submitted[field["id"]] if submitted is not None and field["id"] in submitted \
            else _as_input(_shown_value(field))
        message = (errors or {}).get(field["id"])
        found.append({**field, "widget": kind, "input": value, "text": display(field, _shown_value(field)),
                      "step": "1" if field["type"] == "long" else "any", "range": _range(field),
                      "error": field_error(field, message) if message else None})
    return found


def _range(field: dict[str, Any]) -> str | None:
    """The allowed range of a number or date field in words, shown under it."""
    if field["type"] not in ("long", "decimal", "date"):
        return None
    low, high = field["min"], field["max"]
    if field["type"] == "date":
        low, high = (_date(str(v)) if v is not None else None for v in (low, high))
    if low is not None and high is not None:
        return _("From %(min)s to %(max)s.", min=low, max=high)
    if low is not None:
        return _("At least %(min)s.", min=low)
    if high is not None:
        return _("At most %(max)s.", max=high)
    return None


def display(field: dict[str, Any], value: Any) -> str:
    """A value as text, for read-only fields and completed tasks."""
    if field.get("redacted"):
        return _("Hidden: sensitive data")
    if value is None or value == "":
        return "—"
    if field["type"] == "boolean":
        return _("Yes") if value is True or value == "true" else _("No")
    if field["type"] == "enum":
        return next((o["label"] for o in field["options"] if o["id"] == value), str(value))
    if field["type"] == "date":
        return _date(str(value))
    return str(value)


def _date(text: str) -> str:
    try:
        return format_date(date.fromisoformat(text), "medium", locale=current_locale())
    except ValueError:
        return text


def field_error(field: dict[str, Any], message: str) -> str:
    """A service's validation message in the page's language."""
    kind, params = forms.error_kind(message)
    limit = params.get("limit", "")
    simple = {
        "required": _("Choose yes or no.") if field["type"] == "boolean" else _("This field is required."),
        "whole_number": _("Enter a whole number."),
        "number": _("Enter a number."),
        "boolean": _("Choose yes or no."),
        "date": _("Enter a valid date."),
        "choice": _("Choose one of the options."),
        "min": _("Enter a value of at least %(limit)s.", limit=limit),
        "max": _("Enter a value of at most %(limit)s.", limit=limit),
        "min_date": _("Enter a date on or after %(date)s.", date=_date(limit)),
        "max_date": _("Enter a date on or before %(date)s.", date=_date(limit)),
        "text": _("Enter text."),
        "readonly": _("This field cannot be changed."),
    }
    if kind == "min_length":
        return _("Too short: the minimum number of characters is %(limit)s.", limit=limit)
    if kind == "max_length":
        return _("Too long: the maximum number of characters is %(limit)s.", limit=limit)
    return simple.get(kind, _("This value is not valid."))


def submitted_values(fields: list[dict[str, Any]]) -> dict[str, str]:
    """The posted form as the service takes it: text per editable field ("" for no value).

    A checkbox posts nothing when unticked: it is sent as "false" (a hidden input carries that).
    A text area posts its line breaks as CR LF but the browser counts each as one character
    against `maxlength`: text is taken with LF line breaks, so a note the browser let through on
    its limit is not refused as too long.
    """
    data = {}
    for field in fields:
        if field["readonly"] or field["redacted"]:
            continue
        posted = request.form.getlist(field["id"])
        if widget(field) == "checkbox":
            data[field["id"]] = "true" if "true" in posted else "false"
        elif posted:
            data[field["id"]] = _lf(posted[-1]) if field["type"] == "string" else posted[-1]
        elif field["type"] != "boolean":
            data[field["id"]] = ""
    return data


def _lf(text: str) -> str:
    """Text with its line breaks as LF (a browser posts CR LF, or a lone CR from old clients)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- the page ------------------------------------------------------------------------------------
def _page(task_id: str, status: int = 200, submitted: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, comment: str = "", comment_error: str | None = None,
          ) -> tuple[str, int]:
    engine = services(current_app).engine
    task = work.get_task(engine, g.user, task_id)
    assignees = work.assignable_users(engine, g.user, task_id) if task["can"]["assign"] else []
    # the claimer already has it; oneself: that is "claim"
    assignees = [u for u in assignees if u["username"] not in (task["claimed_by"], g.user.username)]
    return render_template(
        "task.html", task=task, fields=widgets(task["form"]["fields"], submitted, errors),
        errors=errors or {}, case=task["case"], agencies=work.agency_names(engine, task["case"]["agencies"]),
        assignees=assignees, comment=comment, comment_error=comment_error, priority_label=priority_label,
    ), status


@bp.get("/tasks/<task_id>", endpoint="task")
@login_required
def task_page(task_id: str) -> tuple[str, int]:
    return _page(task_id)


@bp.post("/tasks/<task_id>/complete", endpoint="task_complete")
@login_required
def complete(task_id: str) -> Response | tuple[str, int]:
    engine = services(current_app).engine
    data = submitted_values(work.form_fields(engine, g.user, task_id))
    try:
        done = work.complete(engine, g.user, task_id, data)
    except InvalidData as exc:
        errors = exc.details.get("fields")
        return _page(task_id, 400, submitted=data, errors=errors if isinstance(errors, dict) else {})
    except Conflict as exc:
        return _back(task_id, exc)
    flash(_("Task “%(name)s” completed.", name=done["name"]))
    session["completed_task"] = {"beneficiary": done["beneficiary"] or f"#{done['case_id']}",
                                 "next": work.opened_after(engine, g.user, task_id),
                                 "failed": done.get("case_status") == "failed", "case_id": done["case_id"]}
    return redirect(url_for("web.inbox"))


@bp.post("/tasks/<task_id>/claim", endpoint="task_claim")
@login_required
def claim(task_id: str) -> Response:
    try:
        done = work.claim(services(current_app).engine, g.user, task_id)
    except Conflict as exc:
        return _back(task_id, exc)
    flash(_("You claimed “%(name)s”.", name=done["name"]))
    return redirect(_safe_next(request.form.get("next")) if request.form.get("next")
                    else url_for("web.task", task_id=task_id))


@bp.post("/tasks/<task_id>/unclaim", endpoint="task_unclaim")
@login_required
def unclaim(task_id: str) -> Response:
    try:
        done = work.unclaim(services(current_app).engine, g.user, task_id)
    except Conflict as exc:
        return _back(task_id, exc)
    flash(_("“%(name)s” is back with its roles: anyone holding them may claim it.", name=done["name"]))
    return redirect(url_for("web.task", task_id=task_id))


@bp.post("/tasks/<task_id>/assign", endpoint="task_assign")
@login_required
def assign(task_id: str) -> Response:
    username = request.form.get("username", "")
    try:
        done = work.assign(services(current_app).engine, g.user, task_id, username)
    except InvalidData:
        flash(_("This task cannot be assigned to that user: they do not hold its role."))
        return redirect(url_for("web.task", task_id=task_id))
    except Conflict as exc:
        return _back(task_id, exc)
    flash(_("“%(name)s” is now assigned to %(user)s.", name=done["name"], user=username))
    return redirect(url_for("web.task", task_id=task_id))


@bp.post("/tasks/<task_id>/comments", endpoint="task_comment")
@login_required
def comment(task_id: str) -> Response | tuple[str, int]:
    text = request.form.get("text", "")
    try:
        work.add_comment(services(current_app).engine, g.user, task_id, text)
    except InvalidData:
        message = _("Write a comment of 1 to %(max)s characters.", max=work.MAX_COMMENT)
        return _page(task_id, 400, comment=text, comment_error=message)
    flash(_("Comment added."))
    return redirect(url_for("web.task", task_id=task_id) + "#comments")


def _back(task_id: str, error: PathwaysError) -> Response:
    """A lost race or a closed case: say so, and show the task as it is now."""
    messages = {
        "task_not_open": _("This task is no longer open: someone completed it, or the case moved on."),
        "case_not_active": _("The case is no longer active."),
    }
    flash(messages.get(error.code, _("Someone else claimed this task or changed the case first. "
                                     "Here it is as it is now.")))
    return redirect(url_for("web.task", task_id=task_id))
