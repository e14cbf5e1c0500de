"""The people pages: register a person, find one (by PESEL or name), and one person's page.

The same services as `/api/v1/people` (`pathways.privacy.beneficiaries`), so a page shows what the
API would answer: people of other agencies are "not found", an identity is shown only where the
user's agency may see it, and every search and identity read is audited. The search is a POST
form, so a PESEL or a name never lands in an address, a history or an access log.

Registering from the start-case form (`?next=start`) returns to it with the new pseudonym filled in.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from pathways.core import services
from pathways.engine.errors import InvalidData, NotAllowed
from pathways.privacy import beneficiaries
from pathways.privacy.errors import DuplicatePerson
from pathways.privacy.identity import IDENTITY_FIELDS
from pathways.privacy.pseudonyms import is_pseudonym, normalise
from pathways.tasks import audit
from pathways.tasks.access import is_case_worker
from pathways.web.cases import HELPERS
from pathways.web.session import bp, login_required

LABELS = {"first_name": _l("First name"), "last_name": _l("Last name"), "pesel": _l("PESEL"),
          "birth_date": _l("Date of birth"), "phone": _l("Phone"), "email": _l("E-mail"), "address": _l("Address")}
#: what the services say of a field -> the page's words for it
MESSAGES = {
    "a PESEL has 11 digits": _l("A PESEL has 11 digits."),
    "the check digit does not match: a digit is mistyped": _l("The check digit does not match: a digit is mistyped."),
    "the first six digits are not a date of birth": _l("The first six digits are not a date of birth."),
    "a date as YYYY-MM-DD": _l("Enter a date as YYYY-MM-DD."),
    "does not agree with the PESEL": _l("The date of birth does not agree with the PESEL."),
    "must be text": _l("This value is not valid."),
}


def person_url(pseudonym: str | None) -> str | None:
    """The person page's address for a pseudonym shown on a page, where the user may open it.

    A case's pseudonym is a registered person's (`Case.beneficiary_id`), visible to every agency
    taking part in the case, so a user who sees the case may see the person; the pages are for
    case workers. Older cases' free-text codes (`BEN-001`) are no pseudonyms: not linked.
    """
    user = getattr(g, "user", None)
    if not pseudonym or user is None or not is_case_worker(user) or not is_pseudonym(pseudonym):
        return None
    return url_for("web.person", pseudonym=pseudonym)


def may_find_people() -> bool:
    user = getattr(g, "user", None)
    return user is not None and is_case_worker(user)


@bp.app_context_processor
def _people_helpers() -> dict[str, Any]:
    return {"person_url": person_url, "may_find_people": may_find_people}


def _require_case_worker(doing: str) -> None:
    """The pages refuse a non-case worker before any form is shown (403, audited like the service)."""
    if not is_case_worker(g.user):
        error = NotAllowed(f"{doing} needs a case-work role")
        audit.refused(services(current_app).store, g.user, doing, error)
        raise error


def field_errors(error: InvalidData, prefix: str = "identity.") -> dict[str, str]:
    """A service's per-field problems as the page's messages, keyed by the form's field names."""
    fields = error.details.get("fields")
    errors: dict[str, str] = {}
    for key, message in (fields.items() if isinstance(fields, dict) else []):
        name = str(key).removeprefix(prefix)
        text = MESSAGES.get(str(message))
        if text is None and str(message).startswith("at most"):
            text = _("At most %(count)d characters, no control characters.", count=IDENTITY_FIELDS.get(name, 0))
        errors[name if name in IDENTITY_FIELDS else "_form"] = str(text or _("This value is not valid."))
    return errors or {"_form": _("This value is not valid.")}


def _identity_form() -> dict[str, str]:
    """The identity as typed (cut well past its limit, so the limit's error still shows); the
    address's lines joined with commas (the identity holds one line of it)."""
    form = {name: request.form.get(name, "")[: limit * 2 + 10] for name, limit in IDENTITY_FIELDS.items()}
    form["address"] = ", ".join(line.strip() for line in form["address"].splitlines() if line.strip())
    return form


def _shown(form: dict[str, str]) -> dict[str, str]:
    """The form's values to show again: without control characters (the error says they were there)."""
    return {name: "".join(c for c in value if ord(c) >= 32 and ord(c) != 127) for name, value in form.items()}


@bp.route("/people/new", methods=["GET", "POST"], endpoint="person_new")
@login_required
def register() -> Response | tuple[str, int]:
    _require_case_worker("person.register")
    back_to_start = request.values.get("next") == "start"
    form = _identity_form() if request.method == "POST" else dict.fromkeys(IDENTITY_FIELDS, "")
    no_identity = request.form.get("no_identity") == "1"
    errors: dict[str, str] = {}
    existing = None
    if request.method == "POST":
        given = {k: v for k, v in form.items() if v.strip()}
        if not given and not no_identity:
            errors["_form"] = _("Fill in the identity, or tick that the person does not give it.")
        elif given and no_identity:
            errors["_form"] = _("You ticked that the person does not give their identity, but filled some of it in.")
        else:
            try:
                made = beneficiaries.register_person(services(current_app).store, g.user, given or None)
            except DuplicatePerson as duplicate:
                existing = duplicate.pseudonym
            except InvalidData as invalid:
                errors = field_errors(invalid)
            else:
                flash(_("Registered as %(pseudonym)s.", pseudonym=made["pseudonym"]))
                if back_to_start:
                    return redirect(url_for("web.cases", beneficiary=made["pseudonym"]) + "#start")
                return redirect(url_for("web.person", pseudonym=made["pseudonym"]))
    status = 409 if existing else (400 if errors else 200)
    return render_template("people_register.html", form=_shown(form), errors=errors, existing=existing, labels=LABELS,
                           limits=IDENTITY_FIELDS, no_identity=no_identity, back_to_start=back_to_start), status


@bp.route("/people", methods=["GET", "POST"], endpoint="people")
@login_required
def find() -> tuple[str, int]:
    _require_case_worker("person.search")
    by = request.form.get("by", "name") if request.method == "POST" else "name"
    typed = request.form.get("q", "")[:200].strip() if request.method == "POST" else ""
    found: dict[str, Any] | None = None
    error = None
    if request.method == "POST":
        by = by if by in ("pesel", "name") else "name"
        if by == "pesel":
            typed = "".join(typed.split())  # "850312 01356" as read off a card
        try:
            found = beneficiaries.find_people(services(current_app).store, g.user,
                                              **({"pesel": typed} if by == "pesel" else {"name": typed}))
        except InvalidData as invalid:
            fields = invalid.details.get("fields")
            message = next(iter(fields.values()), "") if isinstance(fields, dict) else ""
            if not typed:
                error = _("Enter a PESEL or a name.")
            elif by == "name":
                error = _("Enter at least two letters of a first or last name (no control characters).")
            else:
                error = str(MESSAGES.get(str(message), _("This value is not valid.")))
    html = render_template("people_find.html", by=by, typed=typed, found=found, error=error, **HELPERS)
    return html, 400 if error else 200


@bp.get("/people/<string(maxlength=32):pseudonym>", endpoint="person")
@login_required
def person(pseudonym: str) -> Response | str:
    written = normalise(pseudonym)
    if written != pseudonym and is_pseudonym(written):
        return redirect(url_for("web.person", pseudonym=written))
    shown = beneficiaries.person_detail(services(current_app).store, g.user, pseudonym)
    return render_template("person.html", person=shown, labels=LABELS, **HELPERS)


@bp.route("/people/<string(maxlength=32):pseudonym>/identity", methods=["GET", "POST"], endpoint="person_identity")
@login_required
def rectify(pseudonym: str) -> Response | tuple[str, int]:
    """Correct the identity (GDPR art. 16): the registering agency's case workers, with a reason."""
    store = services(current_app).store
    shown = beneficiaries.person_detail(store, g.user, pseudonym)
    if not shown["may_rectify"]:
        error = NotAllowed("only the registering agency may correct a person's identity")
        audit.refused(store, g.user, "person.identity.update", error)
        raise error
    errors: dict[str, str] = {}
    reason = request.form.get("reason", "")[:1000]
    form = _identity_form() if request.method == "POST" else {
        name: (shown["identity"] or {}).get(name, "") for name in IDENTITY_FIELDS}
    if request.method == "POST":
        given = {k: v for k, v in form.items() if v.strip()}
        try:
            done = beneficiaries.update_identity(store, g.user, shown["pseudonym"], given, reason)
        except DuplicatePerson as duplicate:
            errors = {"pesel": _("Another person of your agency has this PESEL: %(pseudonym)s.",
                                 pseudonym=duplicate.pseudonym)}
        except InvalidData as invalid:
            fields = invalid.details.get("fields")
            if isinstance(fields, dict) and "reason" in fields:
                errors = {"reason": _("Say why the identity is corrected (at most 500 characters).")}
            elif isinstance(fields, dict) and "identity" in fields:
                errors = {"_form": _("Fill in at least one field of the identity.")}
            else:
                errors = field_errors(invalid)
        else:
            flash(_("The identity was corrected.") if done["changed"] else _("Nothing was changed."))
            return redirect(url_for("web.person", pseudonym=shown["pseudonym"]))
    return render_template("person_identity.html", person=shown, form=_shown(form), errors=errors, labels=LABELS,
                           limits=IDENTITY_FIELDS, reason=_shown({"reason": reason})["reason"]), 400 if errors else 200
