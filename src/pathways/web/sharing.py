"""Sharing pages: a person's consents (record one, the list, withdraw), agencies joining and
leaving a case (forms on the case page), and the start form's bases.

The views call the services of `pathways.privacy` (the API's too), so the rules are the same:
a person or case the user may not see is "not found"; a form the user may not send is refused
(403). Invalid input re-shows the form with each field's problem and changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.wrappers import Response

from pathways.base import clock
from pathways.core import services
from pathways.engine.errors import InvalidData, NotAllowed
from pathways.privacy import consents, participation
from pathways.privacy.legal_bases import active_bases
from pathways.tasks import cases
from pathways.tasks.access import MAX_ID
from pathways.web.session import bp, login_required

#: what the consent form's fields are called when the service names them
CONSENT_ERRORS = {"agency": _l("Choose the agency the person agreed to share with."),
                  "purpose": _l("Say what the data is shared for (at most 500 characters)."),
                  "given_on": _l("Enter the day the consent was given (not in the future)."),
                  "case_id": _l("Enter the number of one of this person's cases, or leave it empty.")}
BASIS_ERROR = _l("Choose a legal basis for this agency: a statute, or a consent of the person given to it.")


def _today() -> date:
    return clock.now().astimezone(clock.WARSAW).date()


# -- consents -------------------------------------------------------------------------------------

@bp.get("/people/<string(maxlength=32):pseudonym>/consents", endpoint="consents")
@login_required
def consent_list(pseudonym: str) -> str:
    found = consents.list_consents(services(current_app).store, g.user, pseudonym)
    return render_template("consents.html", pseudonym=pseudonym.strip().upper(), consents=found)


@bp.route("/people/<string(maxlength=32):pseudonym>/consents/new", methods=["GET", "POST"], endpoint="consent_new")
@login_required
def consent_new(pseudonym: str) -> Response | tuple[str, int]:
    pathways = services(current_app)
    consents.list_consents(pathways.store, g.user, pseudonym)  # NotFound for who may not see the person
    form: dict[str, Any] = {"agency": request.form.get("agency", ""), "purpose": request.form.get("purpose", ""),
            "identity_shared": request.form.get("identity_shared") == "yes",
            "given_on": request.form.get("given_on", _today().isoformat()), "case_id": request.form.get("case_id", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        given_on = _date(form["given_on"])
        case_id = int(form["case_id"]) if form["case_id"].strip().isdigit() else None
        if given_on is None:
            errors["given_on"] = str(CONSENT_ERRORS["given_on"])
        if form["case_id"].strip() and (case_id is None or not 0 < case_id <= MAX_ID):
            errors["case_id"] = str(CONSENT_ERRORS["case_id"])
        if not errors and given_on is not None:
            try:
                consents.record_consent(pathways.store, g.user, pseudonym, form["agency"], form["purpose"],
                                        form["identity_shared"], given_on, case_id)
            except InvalidData as error:
                fields = error.details.get("fields")
                errors = {k: str(CONSENT_ERRORS.get(k, _("This value is not valid.")))
                          for k in (fields if isinstance(fields, dict) else {"agency": ""})}
            else:
                flash(_("The consent was recorded."))
                return redirect(url_for("web.consents", pseudonym=pseudonym.strip().upper()))
    agencies = cases.case_choices(pathways.store, g.user)["agencies"]
    html = render_template("consent_new.html", pseudonym=pseudonym.strip().upper(), form=form, errors=errors,
                           agencies=agencies, today=_today().isoformat())
    return html, 400 if errors else 200


@bp.post(f"/consents/<int(max={MAX_ID}):consent_id>/withdraw", endpoint="consent_withdraw")
@login_required
def consent_withdraw(consent_id: int) -> Response:
    pathways = services(current_app)
    note = request.form.get("note", "")
    pseudonym = request.form.get("pseudonym", "")
    try:
        done = consents.withdraw_consent(pathways.store, pathways.engine, g.user, consent_id, note)
    except InvalidData:
        flash(_("The consent was not withdrawn: the note may hold at most 500 characters."))
    else:
        flash(_("The consent was withdrawn; the agency was removed from %(count)d case(s).",
                count=len(done["removed_from"])))
    if consents_link_ok(pseudonym):
        return redirect(url_for("web.consents", pseudonym=pseudonym))
    return redirect(url_for("web.cases"))


def consents_link_ok(pseudonym: str) -> bool:
    return 0 < len(pseudonym) <= 32 and all(c.isalnum() or c == "-" for c in pseudonym)


@bp.app_template_global("consents_fragment")
def consents_fragment(pseudonym: str) -> Markup:
    """The consent list of a person, with withdraw forms, for another page (the person's page)."""
    found = consents.list_consents(services(current_app).store, g.user, pseudonym)
    return Markup(render_template("_consents.html", pseudonym=pseudonym, consents=found))


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


# -- agencies on a case ---------------------------------------------------------------------------

def agency_panel(case_id: int) -> dict[str, Any]:
    """What the case page's agencies panel offers this user (add and remove forms)."""
    return participation.sharing_choices(services(current_app).store, g.user, case_id)


def parse_basis(value: str) -> object:
    """A basis as the forms send it: `statute:CODE` or `consent:ID` (anything else: invalid)."""
    kind, _sep, rest = value.partition(":")
    if kind == "consent" and rest.isdigit() and len(rest) < 11:
        return {"basis": "consent", "consent": int(rest)}
    if kind == "statute" and rest:
        return {"basis": "statute", "statute": rest[:64]}
    return {}


@bp.get(f"/cases/<int(max={MAX_ID}):case_id>/agencies/new", endpoint="case_agency_new")
@login_required
def case_agency_new(case_id: int) -> str:
    """The add-agency form: the agencies not taking part, the statutes and the person's consents."""
    pathways = services(current_app)
    case = cases.case_detail(pathways.store, pathways.engine, g.user, case_id)
    panel = agency_panel(case_id)
    if not panel["can_add"]:
        raise NotAllowed("adding an agency needs a case-work role and an active case")
    return render_template("case_agency_new.html", case=case, sharing=panel)


@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/agencies", endpoint="case_agency_add")
@login_required
def case_agency_add(case_id: int) -> Response:
    pathways = services(current_app)
    code = request.form.get("agency", "")[:64]
    try:
        participation.add_agency(pathways.store, pathways.engine, g.user, case_id, code,
                                 parse_basis(request.form.get("basis", "")), request.form.get("reason", ""))
    except InvalidData as error:
        fields = error.details.get("fields")
        named = list(fields) if isinstance(fields, dict) else []
        flash(str(BASIS_ERROR) if any(k.startswith("basis") for k in named)
              else _("The agency was not added: choose an agency that does not take part yet."), "error")
    else:
        flash(_("The agency was added to the case."))
    return redirect(url_for("web.case", case_id=case_id) + "#agencies-title")


@bp.post(f"/cases/<int(max={MAX_ID}):case_id>/agencies/<string(maxlength=64):code>/remove",
         endpoint="case_agency_remove")
@login_required
def case_agency_remove(case_id: int, code: str) -> Response:
    pathways = services(current_app)
    try:
        done = participation.remove_agency(pathways.store, pathways.engine, g.user, case_id, code,
                                           request.form.get("reason", ""))
    except InvalidData as error:
        fields = error.details.get("fields")
        flash(_("Say why the agency leaves the case.") if isinstance(fields, dict) and "reason" in fields
              else _("The last agency of a case cannot leave it."), "error")
        return redirect(url_for("web.case", case_id=case_id) + "#agencies-title")
    flash(_("The agency left the case; tasks given back: %(returned)d, waiting for an agency: %(waiting)d.",
            returned=len(done["returned"]), waiting=len(done["waiting"])))
    if done["case"] is None:  # the user's own agency left
        return redirect(url_for("web.cases"))
    return redirect(url_for("web.case", case_id=case_id) + "#agencies-title")


# -- the start form -------------------------------------------------------------------------------

def start_bases(own: str, agencies: list[str]) -> dict[str, object]:
    """The bases the start form gives for the ticked agencies other than the user's: a consent
    number (`consent.<code>`) if typed, else the statute chosen (`basis.<code>`); none: left out
    (the service says a basis is missing)."""
    bases: dict[str, object] = {}
    for code in agencies:
        if code == own:
            continue
        typed = request.form.get(f"consent.{code}", "").strip()
        statute = request.form.get(f"basis.{code}", "")
        if typed:
            bases[code] = parse_basis(f"consent:{typed}")
        elif statute:
            bases[code] = parse_basis(f"statute:{statute}")
    return bases


def start_statutes() -> list[dict[str, Any]]:
    return active_bases(services(current_app).store)


def start_error_key(field: str) -> str:
    """`bases.ngo.consent` -> `bases.ngo`: the start form shows a basis problem by its agency."""
    parts = field.split(".")
    return ".".join(parts[:2]) if parts[0] == "bases" else field


def start_error(field: str) -> str:
    return str(BASIS_ERROR) if field.startswith("bases.") else _("This value is not valid.")
