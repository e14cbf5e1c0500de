"""Sharing: the legal bases an admin keeps, a person's consents, the agencies of a case.

    GET    /api/v1/legal-bases                          anyone signed in (?retired=false: active only)
    POST   /api/v1/legal-bases                          admin
    PATCH  /api/v1/legal-bases/{code}                   admin: title, reference, gdpr; active=false retires
    GET    /api/v1/people/{pseudonym}/consents          whoever may see the person
    POST   /api/v1/people/{pseudonym}/consents          a case worker of an agency that may see the person
    POST   /api/v1/consents/{id}/withdraw               a case worker of the registering or the consented agency
    POST   /api/v1/cases/{id}/agencies                  a case worker of a participating agency
    DELETE /api/v1/cases/{id}/agencies/{code}?reason=   a case worker of the starting agency, or of the agency

Who may what, and why: docs/privacy.md, "Legal bases and consent". A case or a person the user
may not see answers 404; a role that may not act, 403.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.sharing_schemas import (
    ConsentSchema,
    LegalBasisChangeSchema,
    LegalBasisQuerySchema,
    LegalBasisSchema,
    NewCaseAgencySchema,
    NewConsentSchema,
    NewLegalBasisSchema,
    ParticipationSchema,
    RemoveCaseAgencySchema,
    WithdrawnConsentSchema,
    WithdrawSchema,
)
from pathways.core import services
from pathways.privacy import consents, legal_bases, participation
from pathways.tasks.access import MAX_ID

blp = Blueprint("sharing", __name__, url_prefix="/api/v1",
                description="Sharing a case: legal bases, the person's consents, agencies joining and leaving.")


@blp.route("/legal-bases", methods=["GET"])
@auth_required
@blp.arguments(LegalBasisQuerySchema, location="query")
@blp.response(200, LegalBasisSchema(many=True))
def list_bases(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The statutory bases an agency may take part in a case on (retired ones last)."""
    return legal_bases.list_bases(services(current_app).store, current_user(), include_retired=args["retired"])


@blp.route("/legal-bases", methods=["POST"])
@auth_required
@blp.arguments(NewLegalBasisSchema)
@blp.response(201, LegalBasisSchema)
@blp.alt_response(403, description="You are not an administrator")
def add_basis(args: dict[str, Any]) -> dict[str, Any]:
    """Add a statutory basis to the list."""
    return legal_bases.add_basis(services(current_app).store, current_user(), args["code"], args["title"],
                                 args["reference"], args["gdpr"])


@blp.route("/legal-bases/<string(maxlength=64):code>", methods=["PATCH"])
@auth_required
@blp.arguments(LegalBasisChangeSchema)
@blp.response(200, LegalBasisSchema)
@blp.alt_response(403, description="You are not an administrator")
def change_basis(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Edit a basis's title, reference or GDPR provisions; `active: false` retires it."""
    store, user = services(current_app).store, current_user()
    retire = args.pop("active", None) is False
    if args or not retire:
        answer = legal_bases.edit_basis(store, user, code, args)
    return legal_bases.retire_basis(store, user, code) if retire else answer


@blp.route("/people/<string(maxlength=32):pseudonym>/consents", methods=["GET"])
@auth_required
@blp.response(200, ConsentSchema(many=True))
def list_consents(pseudonym: str) -> list[dict[str, Any]]:
    """The person's consents, newest first, with whether you may withdraw each."""
    return consents.list_consents(services(current_app).store, current_user(), pseudonym)


@blp.route("/people/<string(maxlength=32):pseudonym>/consents", methods=["POST"])
@auth_required
@blp.arguments(NewConsentSchema)
@blp.response(201, ConsentSchema)
@blp.alt_response(403, description="You hold no case-work role")
def record_consent(args: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    """Record the person's consent to share their case data with an agency (you took it)."""
    return consents.record_consent(services(current_app).store, current_user(), pseudonym, args["agency"],
                                   args["purpose"], args["identity_shared"], args["given_on"], args["case_id"])


@blp.route(f"/consents/<int(max={MAX_ID}):consent_id>/withdraw", methods=["POST"])
@auth_required
@blp.arguments(WithdrawSchema)
@blp.response(200, WithdrawnConsentSchema)
@blp.alt_response(403, description="Neither the registering agency nor the agency the consent was given to")
def withdraw_consent(args: dict[str, Any], consent_id: int) -> dict[str, Any]:
    """Withdraw a consent: its agency leaves every case of the person it took part in on it, at once."""
    pathways = services(current_app)
    return consents.withdraw_consent(pathways.store, pathways.engine, current_user(), consent_id, args["note"])


@blp.route(f"/cases/<int(max={MAX_ID}):case_id>/agencies", methods=["POST"])
@auth_required
@blp.arguments(NewCaseAgencySchema)
@blp.response(201, ParticipationSchema)
@blp.alt_response(403, description="You hold no case-work role")
@blp.alt_response(409, description="The case is not active, or changed meanwhile")
def add_agency(args: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Let an agency take part in the case on a legal basis; its waiting tasks reach its inbox at once."""
    pathways = services(current_app)
    return participation.add_agency(pathways.store, pathways.engine, current_user(), case_id, args["agency"],
                                    args["basis"], args["reason"])


@blp.route(f"/cases/<int(max={MAX_ID}):case_id>/agencies/<string(maxlength=64):code>", methods=["DELETE"])
@auth_required
@blp.arguments(RemoveCaseAgencySchema, location="query")
@blp.response(200, ParticipationSchema)
@blp.alt_response(403, description="Neither the starting agency nor the agency itself")
@blp.alt_response(409, description="The case changed meanwhile")
def remove_agency(args: dict[str, Any], case_id: int, code: str) -> dict[str, Any]:
    """End an agency's part in the case (reason required): its claims go back, or wait for an agency."""
    pathways = services(current_app)
    return participation.remove_agency(pathways.store, pathways.engine, current_user(), case_id, code,
                                       args["reason"])
