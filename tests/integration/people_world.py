"""The inbox tests' world plus the accounts the people operations need (issue 18, people)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pathways.store.models import AuditEntry, CaseEvent
from pathways.tasks import accounts
from tests.integration.test_inbox import World, build_world

EXTRA = {
    "olek": ("ops", ["admin"]),  # the OPS centre's administrator
    "nadia": ("ngo", ["admin"]),  # the NGO's administrator: another agency's
}


def people_world(store: Any, engine: Any) -> World:
    world = build_world(store, engine)
    for name, (agency, roles) in EXTRA.items():
        world.users[name] = accounts.create_user(store, engine.roles, name, agency, roles, "pw", name.title(),
                                                 check_policy=False)
    return world


def audit_rows(world: World, action: str) -> list[AuditEntry]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def events(world: World, kind: str) -> list[CaseEvent]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(CaseEvent).where(CaseEvent.kind == kind).order_by(CaseEvent.id)))


def refused(world: World, attempted: str) -> list[AuditEntry]:
    return [a for a in audit_rows(world, "access.denied") if (a.detail or {}).get("attempted") == attempted]
