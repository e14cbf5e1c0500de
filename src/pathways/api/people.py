"""People (beneficiaries): register, find, read one, correct an identity. Case workers only.

    POST /api/v1/people                       {identity?}            register (409 with `existing`)
    POST /api/v1/people/search                {pesel} | {name}       find (identities you may see)
    GET  /api/v1/people/{pseudonym}                                  one person, their cases
    PUT  /api/v1/people/{pseudonym}/identity  {identity, reason}     rectify (the registering agency)

The search is a POST, not `GET ?pesel=`: a query string lands in access logs, proxies' logs and
browser histories, and a PESEL or a name there would be identity data kept outside the sealed
store. A person your agency may not see answers 404, as if they did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pathways.api import Blueprint
from pathways.api.auth import auth_required, current_user
from pathways.api.people_schemas import (
    IdentityUpdatedSchema,
    PersonDetailSchema,
    PersonSchema,
    RegisterPersonSchema,
    SearchPeopleSchema,
    SearchResultSchema,
    UpdateIdentitySchema,
)
from pathways.core import services
from pathways.privacy import beneficiaries

blp = Blueprint("people", __name__, url_prefix="/api/v1/people",
                description="People served (beneficiaries): pseudonyms, identities held apart, finding them.")

FORBIDDEN = "You hold no case-work role"
NOT_FOUND = "No such person, or one your agency may not see"


@blp.route("", methods=["POST"])
@auth_required
@blp.arguments(RegisterPersonSchema)
@blp.response(201, PersonSchema)
@blp.alt_response(403, description=FORBIDDEN)
@blp.alt_response(409, description="The PESEL is already your agency's person: the error's `existing` names them")
def register(args: dict[str, Any]) -> dict[str, Any]:
    """Register a person: a new pseudonym, your agency as registering agency, the identity sealed."""
    return beneficiaries.register_person(services(current_app).store, current_user(), args.get("identity"))


@blp.route("/search", methods=["POST"])
@auth_required
@blp.arguments(SearchPeopleSchema)
@blp.response(200, SearchResultSchema)
@blp.alt_response(403, description=FORBIDDEN)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Find people by exact PESEL or by name, among those whose identity your agency may see (audited)."""
    return beneficiaries.find_people(services(current_app).store, current_user(), args.get("pesel"), args.get("name"))


@blp.route("/<string(maxlength=32):pseudonym>", methods=["GET"])
@auth_required
@blp.response(200, PersonDetailSchema)
@blp.alt_response(403, description=FORBIDDEN)
@blp.alt_response(404, description=NOT_FOUND)
def get_person(pseudonym: str) -> dict[str, Any]:
    """A person: registration, the cases you may see, and the identity if your agency may see it (audited)."""
    return beneficiaries.person_detail(services(current_app).store, current_user(), pseudonym)


@blp.route("/<string(maxlength=32):pseudonym>/identity", methods=["PUT"])
@auth_required
@blp.arguments(UpdateIdentitySchema)
@blp.response(200, IdentityUpdatedSchema)
@blp.alt_response(403, description="Only the registering agency's case workers may correct an identity")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="The new PESEL is another person's of your agency (`existing`)")
def update_identity(args: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    """Correct a person's identity (GDPR art. 16) with a reason; the audit names the changed fields only."""
    return beneficiaries.update_identity(services(current_app).store, current_user(), pseudonym, args["identity"],
                                         args["reason"])
