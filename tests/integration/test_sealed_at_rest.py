"""A copy of the database alone reveals no sensitive value, identity or comment (GDPR art. 32), on
SQLite (the file's raw bytes, WAL checkpointed) and PostgreSQL (a `pg_dump`); the app still reads
them all back; a key rotation re-seals everything so the old key can leave the ring.

The pathway (tests/fixtures/sensitive_start.bpmn) carries `shelter_address`, marked sensitive, in
its start data and its one task; `placement` is free text, which the events seal too (notes name
people whether marked or not); the pseudonym is an ordinary value, plain JSON in the events.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import JSON, Text, select, text, type_coerce, update
from sqlalchemy.engine import make_url

from pathways.base import clock, sealing
from pathways.engine.actors import Actor
from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import deploy
from pathways.engine.roles import RoleVocabulary
from pathways.privacy import identity, keys
from pathways.store.db import Store
from pathways.store.models import Beneficiary, CaseEvent, CaseState, HumanTask, Identity, TaskComment
from pathways.tasks import accounts
from tests.conftest import FIXTURES, TEST_DATA_KEYS

ADDRESS = "Schronisko Przystań, ul. Ukryta 12"  # in the start data
MOVED_TO = "ul. Tajna 7, mieszkanie chronione"  # entered in the task
COMMENT = "Klientka boi się byłego partnera, nie podawać adresu"
PERSON = {"first_name": "Bożena", "last_name": "Wyszomirska", "pesel": "44051401359", "address": "ul. Polna 3"}
SECRETS = [ADDRESS, "Ukryta 12", MOVED_TO, "Tajna 7", COMMENT, "nie podawać adresu", "Wyszomirska",
           "44051401359", "ul. Polna 3", "hostel"]
PLAIN = ["BEN-S"]  # an ordinary value: plain in the events, where reports read such values


@dataclass
class World:
    store: Store
    engine: Engine
    case_id: int
    task_id: str
    beneficiary_id: int


@pytest.fixture
def ring_restored() -> Iterator[None]:
    yield
    sealing.configure(sealing.KeyRing.parse(TEST_DATA_KEYS))


@pytest.fixture
def world(store: Store, roles: RoleVocabulary, frozen_clock: clock.FrozenClock) -> World:
    deploy(store, collect([FIXTURES / "sensitive_start.bpmn"]), roles)
    engine = Engine(store, roles, runtime_cache_size=0)  # every read goes through the stored snapshot
    accounts.add_agency(store, "ngo1", "NGO", "Fundacja")
    marek = accounts.create_user(store, roles, "marek", "ngo1", ["ngo.crisis_interventionist"], "pw",
                                 "Marek", check_policy=False)
    actor = Actor("marek", marek.id)
    case_id = engine.start_case(actor, "sensitive_start", {"beneficiary_pseudonym": "BEN-S",
                                                           "shelter_address": ADDRESS}, ["ngo1"], "BEN-S")
    with store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).one()
    engine.complete_task(actor, task_id, {"placement": "hostel", "shelter_address": MOVED_TO})
    with store.unit_of_work() as uow:
        s = uow.session
        s.add(TaskComment(task_id=task_id, case_id=case_id, user_id=marek.id, at=clock.now(), text=COMMENT))
        person = Beneficiary(pseudonym="B-7K3Q-9M", agency_id=marek.agency_id, registered_at=clock.now())
        s.add(person)
        s.flush()
        s.add(identity.seal_identity(person, PERSON))
        beneficiary_id = person.id
        uow.commit()
    return World(store, engine, case_id, task_id, beneficiary_id)


def _raw_copy(store: Store, tmp_path: Any) -> bytes:
    """What someone holding a copy of the database has: the SQLite file's bytes, or a PostgreSQL dump."""
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        store.engine.dispose()
        path = store.engine.url.database
        assert path is not None
        return b"".join(open(p, "rb").read() for p in (path, f"{path}-wal") if os.path.exists(p))
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    url = make_url(store.url)
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    dump = subprocess.run([pg_dump, "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                           "-U", url.username or "postgres", url.database or "postgres"],
                          capture_output=True, env=env, timeout=120, check=True)
    return dump.stdout


def _forms(value: str) -> list[bytes]:
    """The byte forms a value can take in a file: UTF-8, and JSON's ASCII escapes."""
    return [value.encode("utf-8"), json.dumps(value).strip('"').encode("ascii")]


def _read_back(world: World) -> None:
    with world.store.unit_of_work(write=False) as uow:
        s = uow.session
        events = {e.kind: e for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == world.case_id))}
        assert events["CaseStarted"].after["data"]["shelter_address"] == ADDRESS
        assert events["TaskCompleted"].before == {"placement": None, "shelter_address": ADDRESS}
        assert events["TaskCompleted"].after == {"placement": "hostel", "shelter_address": MOVED_TO}
        assert events["CaseCompleted"].after["data"]["shelter_address"] == MOVED_TO
        assert s.scalars(select(TaskComment.text)).one() == COMMENT
        assert MOVED_TO in s.scalars(select(CaseState.state)).one()
        row = s.scalars(select(Identity).where(Identity.pesel_index == identity.pesel_index(PERSON["pesel"]))).one()
        assert identity.open_identity(row, "B-7K3Q-9M") == PERSON


def test_a_copy_of_the_database_reveals_no_sensitive_value_identity_or_comment(world: World, tmp_path) -> None:
    _read_back(world)
    with world.store.engine.connect() as conn:  # the ordinary values stay plain JSON, for the reports' SQL
        after = conn.scalar(select(type_coerce(CaseEvent.after, JSON)).where(CaseEvent.kind == "TaskCompleted"))
        started = conn.scalar(select(CaseEvent.after["data"]["beneficiary_pseudonym"].as_string()).where(
            CaseEvent.kind == "CaseStarted"))
    assert started == "BEN-S"
    assert sealing.is_sealed(after["shelter_address"]) and sealing.is_sealed(after["placement"])
    copy = _raw_copy(world.store, tmp_path)
    for value in SECRETS:
        for form in _forms(value):
            assert form not in copy, f"{value!r} lies in plain text in the database"
    for value in PLAIN:  # the search itself works: what is not sealed is found
        assert value.encode() in copy
    _read_back(world)  # and the app still reads everything after the copy was taken


def test_rotation_reseals_everything_so_the_old_key_can_go(world: World, ring_restored: None) -> None:
    old = sealing.ring()
    with world.store.unit_of_work() as uow:  # a comment and a sensitive event value from before sealing
        uow.session.execute(text("INSERT INTO task_comments (task_id, case_id, user_id, at, text) "
                                 "SELECT task_id, case_id, user_id, at, 'legacy note' FROM task_comments"))
        legacy = {"placement": "hostel", "shelter_address": "Stary Adres 5"}
        uow.session.execute(update(CaseEvent).where(CaseEvent.kind == "TaskCompleted").values(
            before=type_coerce(legacy, JSON)))
        uow.commit()
    before = keys.usage(world.store)
    assert before.by_key[keys.PLAIN] == 1 and before.keys_in_use() == [old.current]

    new = sealing.KeyRing.parse(f"{TEST_DATA_KEYS}\n{sealing.KeyRing.new_line('k2')}")
    sealing.configure(new)
    fields_of = lambda s, version_id: world.engine.definition(s, version_id).sealed_fields  # noqa: E731
    done = keys.rotate(world.store, fields_of)
    assert done.current == "k2"
    assert done.resealed["case_states"] == 1 and done.resealed["identities"] == 1
    assert done.resealed["task_comments"] == 1 and done.sealed["task_comments"] == 1  # the legacy one
    assert done.sealed["case_events"] == 2  # the legacy sensitive and free-text values
    # shelter_address in CaseStarted, TaskCompleted (after) and CaseCompleted; placement in the last two
    assert done.resealed["case_events"] == 5
    assert keys.usage(world.store).keys_in_use() == ["k2"] and keys.PLAIN not in keys.usage(world.store).by_key

    again = keys.rotate(world.store, fields_of)  # idempotent: nothing left to do
    assert sum(again.resealed.values()) == sum(again.sealed.values()) == 0

    sealing.configure(sealing.KeyRing({"k2": new.keys["k2"]}))  # the old key leaves the ring
    with world.store.unit_of_work() as uow:  # the legacy values are read back sealed, as they were
        uow.session.execute(update(CaseEvent).where(CaseEvent.kind == "TaskCompleted").values(
            before={"placement": None, "shelter_address": ADDRESS}))
        uow.session.execute(text("DELETE FROM task_comments WHERE id > (SELECT MIN(id) FROM task_comments)"))
        uow.commit()
    _read_back(world)  # everything opens, and the PESEL is found by its recomputed index


def test_a_token_moved_to_another_field_does_not_open(world: World) -> None:
    with world.store.unit_of_work() as uow:
        raw = uow.session.scalar(select(type_coerce(CaseEvent.after, JSON)).where(CaseEvent.kind == "TaskCompleted"))
        moved = {"placement": raw["shelter_address"], "shelter_address": raw["shelter_address"]}
        uow.session.execute(update(CaseEvent).where(CaseEvent.kind == "TaskCompleted").values(
            after=type_coerce(moved, JSON)))
        uow.commit()
    with world.store.unit_of_work(write=False) as uow, pytest.raises(sealing.SealingError, match="altered or moved"):
        uow.session.scalars(select(CaseEvent.after).where(CaseEvent.kind == "TaskCompleted")).one()


def test_a_value_sealed_under_a_key_gone_from_the_ring_says_which_key(world: World, ring_restored: None) -> None:
    sealing.configure(sealing.KeyRing.parse(sealing.KeyRing.new_line("other")))
    with world.store.unit_of_work(write=False) as uow, pytest.raises(sealing.SealingError) as raised:
        uow.session.scalars(select(TaskComment.text)).one()
    assert "'test1'" in str(raised.value) and COMMENT not in str(raised.value)
    with world.store.engine.connect() as conn:  # the raw column is a token, not the comment
        assert sealing.is_sealed(conn.scalar(select(type_coerce(TaskComment.text, Text))))
