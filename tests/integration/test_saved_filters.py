"""Saved inbox filters on SQLite and PostgreSQL: saving, sharing in the agency, counts, bulk claim/assign."""

from __future__ import annotations

import pytest

from pathways.engine.errors import Conflict, InvalidData, NotAllowed, NotFound
from pathways.tasks import inbox, saved_filters, work
from tests.integration.people_world import audit_rows, people_world, refused
from tests.integration.test_inbox import World, engine  # noqa: F401  (fixture)

INTAKE = {"role": "ops.social_worker"}


@pytest.fixture
def world(store, engine) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    return people_world(store, engine)


def _save(world: World, name: str, fields: dict, shared: bool = False, owner: str = "anna") -> int:
    return int(saved_filters.save_filter(world.store, world.users[owner], name, fields, shared)["id"])


def _listed(world: World, name: str) -> dict[str, int | None]:
    found = saved_filters.list_filters(world.store, world.users[name], world.engine.roles)
    return {f["name"]: f["count"] for f in found}


def test_a_shared_filter_counts_each_colleagues_own_inbox(world: World) -> None:
    cases = [world.start(f"BEN-{i}") for i in range(3)]
    world.start("BEN-OPS", ["ops"])
    work.claim(world.engine, world.users["anna"], world.task(cases[0], "identify"))
    _save(world, "intake", INTAKE, shared=True)
    _save(world, "private", {"view": "mine"})
    assert _listed(world, "anna") == {"intake": 4, "private": 1}
    assert _listed(world, "adam") == {"intake": 3}  # anna's claim is not in his inbox; her private filter is hers
    assert _listed(world, "piotr") == {"intake": 0}  # the same agency, not the role: sees nothing through it
    assert _listed(world, "marek") == {} and _listed(world, "nadia") == {}  # another agency: not shared with them
    assert _listed(world, "teresa") == {}


def test_the_filter_fields_narrow_the_inbox(world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    first, second = world.start("BEN-A"), world.start("BEN-B", ["ops", "pup"])
    world.identify(first)  # crisis intervention, due in 72 h, for the NGO
    assert _listed(world, "anna") == {}
    _save(world, "ngo cases", {"agency": "ngo"}, owner="anna")
    _save(world, "due in 3 days", {"due_within_days": 3}, owner="marek")
    _save(world, "due today", {"due_within_days": 0}, owner="marek")
    _save(world, "text", {"q": "BEN-B"})
    assert _listed(world, "anna") == {"ngo cases": 0, "text": 1}
    assert _listed(world, "marek") == {"due in 3 days": 1, "due today": 0}
    _, page = saved_filters.run_filter(world.store, world.users["anna"], world.engine.roles,
                                       _save(world, "pup", {"agency": "pup"}))
    assert [i["case_id"] for i in page.items] == [second]
    assert audit_rows(world, "task.list")[-1].detail["query"]["agency"] == "pup"  # type: ignore[index]


def test_saving_replaces_by_name_and_checks_the_fields(world: World) -> None:
    first = _save(world, "x", INTAKE)
    assert _save(world, "x", {"view": "overdue"}) == first
    for fields in ({"view": "nope"}, {"owner": "anna"}, {"due_within_days": -1}, {"q": 5}, {"page": 2}):
        with pytest.raises(InvalidData):
            _save(world, "y", fields)
    with pytest.raises(InvalidData):
        _save(world, " ", INTAKE)
    assert _listed(world, "anna") == {"x": 0}


def test_only_the_owner_deletes_and_others_cannot_open_it(world: World) -> None:
    shared = _save(world, "intake", INTAKE, shared=True)
    private = _save(world, "mine", {"view": "mine"})
    with pytest.raises(NotAllowed):
        saved_filters.delete_filter(world.store, world.users["adam"], shared)
    for name, filter_id in (("adam", private), ("marek", shared), ("nadia", shared)):
        with pytest.raises(NotFound):
            saved_filters.run_filter(world.store, world.users[name], world.engine.roles, filter_id)
        with pytest.raises(NotFound):
            saved_filters.bulk(world.engine, world.users[name], filter_id, "claim")
    assert len(refused(world, "filter.run")) == 3 and len(refused(world, "filter.delete")) == 1
    saved_filters.delete_filter(world.store, world.users["anna"], shared)
    assert _listed(world, "adam") == {}


def test_a_filter_is_not_shared_once_its_owner_left_the_agency(world: World) -> None:
    from pathways.store.models import Agency, User

    _save(world, "intake", INTAKE, shared=True)
    with world.store.unit_of_work() as uow:
        anna = uow.session.get(User, world.users["anna"].id)
        assert anna is not None
        anna.agency_id = uow.session.query(Agency.id).filter(Agency.code == "ngo").scalar()
        uow.commit()
    assert _listed(world, "adam") == {}


def test_bulk_claim_claims_each_task_as_a_single_claim_would(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cases = [world.start(f"BEN-{i}") for i in range(3)]
    tasks = [world.task(c, "identify") for c in cases]
    filter_id = _save(world, "intake", INTAKE, shared=True)
    listed = inbox.list_tasks

    def stale(*args, **kwargs):  # type: ignore[no-untyped-def]
        page = listed(*args, **kwargs)
        work.claim(world.engine, world.users["anna"], tasks[1])  # anna takes one after adam's list was read
        return page

    monkeypatch.setattr(inbox, "list_tasks", stale)
    done = saved_filters.bulk(world.engine, world.users["adam"], filter_id, "claim")
    assert done["done"] == 2 and done["refused"] == 1
    assert {r["id"]: r["error"] for r in done["results"]}[tasks[1]] == "conflict"
    assert [world.row(t).claimed_by for t in tasks] == [world.users["adam"].id, world.users["anna"].id,
                                                      world.users["adam"].id]
    assert len(audit_rows(world, "task.claim")) == 3 and len(audit_rows(world, "filter.bulk")) == 1


def test_bulk_assign_refuses_a_user_the_tasks_are_not_offered_to(world: World) -> None:
    for i in range(2):
        world.start(f"BEN-{i}")
    filter_id = _save(world, "intake", INTAKE)
    refused_all = saved_filters.bulk(world.engine, world.users["anna"], filter_id, "assign", "piotr")
    assert refused_all["done"] == 0 and {r["error"] for r in refused_all["results"]} == {"invalid_data"}
    moved = saved_filters.bulk(world.engine, world.users["anna"], filter_id, "assign", "adam")
    assert moved["done"] == 2 and {r["claimed_by"] for r in moved["results"]} == {"adam"}
    with pytest.raises(InvalidData):
        saved_filters.bulk(world.engine, world.users["anna"], filter_id, "assign")
    with pytest.raises(InvalidData):
        saved_filters.bulk(world.engine, world.users["anna"], filter_id, "delete")


def test_at_most_so_many_filters(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(saved_filters, "MAX_FILTERS", 2)
    _save(world, "a", INTAKE)
    _save(world, "b", INTAKE)
    with pytest.raises(Conflict):
        _save(world, "c", INTAKE)
