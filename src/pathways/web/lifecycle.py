"""The case page's lifecycle forms: cancel (a reason from the list), close early (an outcome the
pathway allows), suspend and resume; and the words for a stuck case.

The views call `pathways.tasks.lifecycle` (the API's service too), so the rules are the same: a
case the user may not see is "not found", a user without the role gets 403. Cancelling and
closing early ask for a confirmation (a checkbox: no script runs on the pages); a refused form
changes nothing and says why in a message back on the case page.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.engine.errors import CaseNotActive, Conflict, InvalidData
from pathways.reports.labels import OUTCOMES
from pathways.tasks import lifecycle
from pathways.tasks.access import MAX_ID
from pathways.web.session import bp, login_required

REASONS = {"left_programme": _l("Left the programme"), "moved_away": _l("Moved away"), "died": _l("Died"),
           "duplicate": _l("Duplicate case"), "entered_by_mistake": _l("Entered by mistake"), "other": _l("Other")}
KINDS = {"OPS": _l("a social welfare centre (OPS)"), "PUP": _l("a labour office (PUP)"), "NGO": _l("an NGO"),
         "SUPERVISION": _l("the partnership's coordinator")}


def reason_name(code: str) -> str:
    return str(REASONS.get(code, code))


def outcome_name(key: str) -> str:
    return str(OUTCOMES.get(key, key))


def needs_words(needs: list[str]) -> str:
    """`["PUP"]` as the page says it: "a labour office (PUP)"."""
    return str(_(" or ").join(str(KINDS.get(k, k)) for k in needs)) if needs else str(_("no kind of agency"))


def panel(case_id: int) -> dict[str, Any]:
    """What the case page shows and offers of the case's lifecycle (the user sees the case)."""
    pathways = services(current_app)
    return lifecycle.lifecycle_of(pathways.store, pathways.engine, g.user, case_id)


#: the case events of this module's commands, shown by `event_values` on the timeline
EVENTS = ("CaseCancelled", "CaseClosed", "CaseSuspended", "CaseResumed")
TIMER_MODES = {"shift": _l("shifted by the suspension's length"), "fire": _l("kept: the overdue ones fire at once")}


def event_values(after: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A lifecycle event's values as the timeline shows them (label, value); the note as written."""
    after = after or {}
    shown: list[tuple[str, str]] = []
    if after.get("reason_code"):
        shown.append((str(_("Reason")), reason_name(str(after["reason_code"]))))
    if after.get("outcome"):
        shown.append((str(_("Outcome")), outcome_name(str(after["outcome"]))))
    if after.get("timers_mode"):
        shown.append((str(_("Timers at resume")), str(TIMER_MODES.get(after["timers_mode"], after["timers_mode"]))))
    if isinstance(after.get("reason"), str) and after["reason"]:
        shown.append((str(_("Note")), after["reason"]))
    return shown


HELPERS = {"reason_name": reason_name, "outcome_name": outcome_name, "needs_words": needs_words}


def _back(case_id: int) -> Response:
    return redirect(url_for("web.case", case_id=case_id) + "#lifecycle")


def _confirmed() -> bool:
    if request.form.get("confirm") == "yes":
        return True
    flash(_("Tick the box to confirm: nothing was changed."), "error")
    return False


def _run(case_id: int, action: Any, done: str) -> Response:
    try:
        action()
    except CaseNotActive:
        flash(_("The case is no longer in a state that allows this (reload the page): nothing was changed."), "error")
    except Conflict:
        flash(_("Someone changed the case meanwhile: reload it and try again."), "error")
    except InvalidData as error:
        found = error.details.get("fields")
        fields = found if isinstance(found, dict) else {}
        if "note" in fields:
            flash(_("Say why in the note (at most 2000 characters)."), "error")
        elif "outcome" in fields:
            flash(_("Choose one of the outcomes this pathway allows."), "error")
        else:
            flash(_("Choose a reason from the list."), "error")
    else:
        flash(done)
    return _back(case_id)


def _note() -> str:
    return (request.form.get("note") or "")[:lifecycle.MAX_NOTE + 1]


@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/cancel", endpoint="case_cancel")
@login_required
def cancel(case_id: int) -> Response:
    pathways = services(current_app)
    lifecycle.lifecycle_of(pathways.store, pathways.engine, g.user, case_id)  # 404 for who may not see it
    if not _confirmed():
        return _back(case_id)
    reason = (request.form.get("reason") or "")[:64]
    return _run(case_id, lambda: lifecycle.cancel_case(pathways.store, pathways.engine, g.user, case_id, reason,
                                                       _note()), _("The case was cancelled."))


@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/close", endpoint="case_close")
@login_required
def close(case_id: int) -> Response:
    pathways = services(current_app)
    lifecycle.lifecycle_of(pathways.store, pathways.engine, g.user, case_id)
    if not _confirmed():
        return _back(case_id)
    outcome = (request.form.get("outcome") or "")[:100]
    return _run(case_id, lambda: lifecycle.close_case(pathways.store, pathways.engine, g.user, case_id, outcome,
                                                      _note()), _("The case was closed early."))


@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/suspend", endpoint="case_suspend")
@login_required
def suspend(case_id: int) -> Response:
    pathways = services(current_app)
    return _run(case_id, lambda: lifecycle.suspend_case(pathways.store, pathways.engine, g.user, case_id, _note()),
                _("The case is suspended: its tasks and timers wait until it is resumed."))


@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/resume", endpoint="case_resume")
@login_required
def resume(case_id: int) -> Response:
    pathways = services(current_app)
    mode = request.form.get("timers") or pathways.config.resume_timers
    return _run(case_id, lambda: lifecycle.resume_case(pathways.store, pathways.engine, g.user, case_id, mode),
                _("The case is active again."))
