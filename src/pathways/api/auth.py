"""Authentication: bearer tokens, `current_user()`, `@auth_required` and role checks.

    POST   /api/v1/auth/token  {username, password} -> {token, expires_at, user}
    DELETE /api/v1/auth/token  revokes the token sent with the request
    GET    /api/v1/auth/me     the authenticated user

`@auth_required` (directly under `@blp.route`, so it runs before the body is parsed) resolves the
`Authorization: Bearer` token into the `User`, keeps it for `current_user()` and documents the
operation's bearer security; `@role_required(*roles)` does the same and answers 403 unless the
user holds one of the roles.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request

from pathways.api import BEARER, Blueprint
from pathways.api.errors import ErrorSchema
from pathways.api.schemas import LoginSchema, TokenSchema, UserSchema
from pathways.core import services
from pathways.store.models import User
from pathways.tasks import accounts, audit

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in and out with bearer tokens.")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> User:
    """The authenticated user of this request (only inside an `@auth_required` view)."""
    user = g.get("pathways_user")
    if user is None:
        raise accounts.NotAuthenticated("authentication required: send Authorization: Bearer <token>")
    return cast(User, user)


def has_role(user: User, *roles: str) -> bool:
    return bool(user.roles & set(roles))


def require_role(user: User, *roles: str) -> None:
    """NotAllowed unless the user holds one of `roles`; the refusal is audited (`tasks.audit`)."""
    if not has_role(user, *roles):
        audit.require_role(services(current_app).store, user, roles, request.endpoint or "api",
                           f"this needs one of the roles: {', '.join(roles)}")


def _document_security(wrapper: Any, func: Any, roles: tuple[str, ...]) -> None:
    apidoc = copy.deepcopy(getattr(func, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual["security"] = [{BEARER: []}]
    responses = manual.setdefault("responses", {})
    responses["401"] = "UNAUTHORIZED"
    if roles:
        responses["403"] = "FORBIDDEN"
    wrapper._apidoc = apidoc


def _authenticated(func: F, roles: tuple[str, ...]) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.pathways_user = accounts.resolve_token(services(current_app).store, bearer_token())
        if roles:
            require_role(g.pathways_user, *roles)
        return func(*args, **kwargs)

    _document_security(wrapper, func, roles)
    return cast(F, wrapper)


def auth_required(func: F) -> F:
    """401 unless the request carries a live bearer token."""
    return _authenticated(func, ())


def role_required(*roles: str) -> Callable[[F], F]:
    """401 without a live token, 403 unless the user holds one of `roles`."""
    return lambda func: _authenticated(func, roles)


@blp.route("/token", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(429, schema=ErrorSchema, description="Too many failed logins for this account name or address.",
                  headers={"Retry-After": {"description": "seconds until a login may be tried again",
                                           "schema": {"type": "integer"}}})
@blp.doc(security=[])
def create_token(args: dict[str, Any]) -> dict[str, Any]:
    """Log in: exchange a username and password for a bearer token (failed logins are throttled)."""
    pathways = services(current_app)
    attempt = accounts.LoginAttempt(args["username"], args["password"], request.remote_addr or "", "api")
    user = accounts.log_in(pathways.store, attempt)
    issued = accounts.issue_token(pathways.store, user, pathways.config.token_hours)
    return {"token": issued.token, "expires_at": issued.expires_at, "user": user}


@blp.route("/token", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_token() -> None:
    """Log out: revoke the token sent with this request."""
    token = bearer_token()
    assert token is not None
    accounts.revoke_token(services(current_app).store, token)


@blp.route("/me", methods=["GET"])
@auth_required
@blp.response(200, UserSchema)
def me() -> User:
    """The authenticated user: agency and roles."""
    return current_user()
