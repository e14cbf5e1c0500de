"""The list of statutory legal bases an admin keeps (GDPR art. 6(1)(c)/(e), art. 9(2)(b)/(g)/(h)).

Anyone signed in may read the list (a case worker chooses from it); only the `admin` role adds,
edits (title, reference, GDPR provisions: never the code, which case rows refer to) and retires
a basis. A retired basis cannot be chosen for new sharing (`check_basis` refuses it) but stays on
the case rows that already use it, so what was recorded is never lost. Every call is audited
(`legal_basis.list`, `.add`, `.edit`, `.retire`); `user=None` with `actor` is the operator's CLI.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.errors import InvalidData, NotAllowed, NotFound
from pathways.store.db import Store
from pathways.store.models import LegalBasis, User
from pathways.tasks import audit
from pathways.tasks.bounds import check_text

ADMIN = "admin"
MAX_TITLE, MAX_REFERENCE, MAX_GDPR = 300, 500, 200
CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
EDITABLE = ("title", "reference", "gdpr")


def as_dict(basis: LegalBasis) -> dict[str, Any]:
    return {"code": basis.code, "title": basis.title, "reference": basis.reference, "gdpr": basis.gdpr,
            "active": basis.active, "created_at": clock.aware(basis.created_at)}


def list_bases(store: Store, user: User | None, *, include_retired: bool = True,
               actor: str | None = None) -> list[dict[str, Any]]:
    """Every legal basis (retired ones last), for anyone signed in or the operator."""
    with store.unit_of_work(write=False) as uow:
        query = select(LegalBasis).order_by(LegalBasis.active.desc(), LegalBasis.code)
        if not include_retired:
            query = query.where(LegalBasis.active)
        found = [as_dict(b) for b in uow.session.scalars(query)]
        audit.record_read(uow, user, "legal_basis.list", actor=actor)
    return found


def active_bases(store: Store) -> list[dict[str, Any]]:
    """The bases a case worker may choose now (for a page's select; not audited: no personal data)."""
    with store.unit_of_work(write=False) as uow:
        return [as_dict(b) for b in uow.session.scalars(
            select(LegalBasis).where(LegalBasis.active).order_by(LegalBasis.title))]


@audit.refusals("legal_basis.add")
def add_basis(store: Store, user: User | None, code: str, title: str, reference: str = "", gdpr: str = "",
              *, actor: str | None = None) -> dict[str, Any]:
    """Add a statutory basis with a new `code` (lower case letters, digits, `_`)."""
    _require_admin(user, actor)
    if not isinstance(code, str) or not CODE.match(code):
        raise InvalidData("a legal basis code is 2-64 lower-case letters, digits or _, starting with a letter",
                          fields={"code": "2-64 of a-z, 0-9, _; starts with a letter"})
    _check(title=title, reference=reference, gdpr=gdpr)
    with store.unit_of_work() as uow:
        s = uow.session
        if s.get(LegalBasis, code) is not None:
            raise InvalidData("a legal basis with this code exists", fields={"code": "already exists"})
        basis = LegalBasis(code=code, title=title.strip(), reference=reference.strip(), gdpr=gdpr.strip(),
                           active=True, created_at=clock.now())
        s.add(basis)
        s.flush()
        answer = as_dict(basis)
        audit.record(s, user, "legal_basis.add", detail={"code": code}, actor=actor)
        uow.commit()
    return answer


@audit.refusals("legal_basis.edit")
def edit_basis(store: Store, user: User | None, code: str, changes: dict[str, str], *,
               actor: str | None = None) -> dict[str, Any]:
    """Change a basis's title, reference or GDPR provisions (its code stays: rows refer to it)."""
    _require_admin(user, actor)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidData("only title, reference and gdpr can be changed",
                          fields={k: "cannot be changed" for k in unknown})
    _check(**changes)
    with store.unit_of_work() as uow:
        s = uow.session
        basis = _get(s, code)
        for name, value in changes.items():
            setattr(basis, name, value.strip())
        s.flush()
        answer = as_dict(basis)
        audit.record(s, user, "legal_basis.edit", detail={"code": basis.code, "changed": sorted(changes)},
                     actor=actor)
        uow.commit()
    return answer


@audit.refusals("legal_basis.retire")
def retire_basis(store: Store, user: User | None, code: str, *, actor: str | None = None) -> dict[str, Any]:
    """No new sharing on this basis; the cases already using it keep it (retiring twice is a no-op)."""
    _require_admin(user, actor)
    with store.unit_of_work() as uow:
        s = uow.session
        basis = _get(s, code)
        was_active = basis.active
        basis.active = False
        s.flush()
        answer = as_dict(basis)
        if was_active:
            audit.record(s, user, "legal_basis.retire", detail={"code": basis.code}, actor=actor)
        uow.commit()
    return answer


def _require_admin(user: User | None, actor: str | None) -> None:
    if user is None and actor:  # the operator on the server (`pathways legal-basis ...`)
        return
    if user is None or ADMIN not in user.roles:
        raise NotAllowed("only an administrator keeps the list of legal bases")


def _check(**values: str) -> None:
    limits = {"title": MAX_TITLE, "reference": MAX_REFERENCE, "gdpr": MAX_GDPR}
    for name, value in values.items():
        if not isinstance(value, str):
            raise InvalidData(f"{name} must be text", fields={name: "must be text"})
        check_text(name, value, limits[name])
    if "title" in values and not values["title"].strip():
        raise InvalidData("a legal basis needs a title", fields={"title": "must not be empty"})


def _get(s: Session, code: str) -> LegalBasis:
    check_text("code", code, 64)
    found = s.get(LegalBasis, code)
    if found is None:
        raise NotFound("no such legal basis")
    return found
