"""Demo data: three agencies of one partnership, a user per role, and a few cases in flight.

Idempotent: running it twice creates nothing new. Every demo user's password is `demo`, far
below the password policy (`accounts.check_password_policy`): the demo writes its users directly,
bypassing the policy on purpose, and is never for real data.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pathways.base import clock
from pathways.base.sealing import KeyRing
from pathways.engine.cases import Actor, Engine
from pathways.privacy.identity import seal_identity
from pathways.store.db import Store
from pathways.store.models import Agency, Beneficiary, Case, Consent, HumanTask, User, UserRole
from pathways.tasks.passwords import hash_password

AGENCIES = [
    ("mops-bartoszyce", "OPS", "Miejski Ośrodek Pomocy Społecznej w Bartoszycach", "Bartoszyce"),
    ("pup-bartoszyce", "PUP", "Powiatowy Urząd Pracy w Bartoszycach", "Bartoszyce"),
    ("ngo-bartoszyce", "NGO", "Fundacja Pomocy Wzajemnej", "Bartoszyce"),
    ("partnership", "SUPERVISION", "Partnerstwo Lokalne Bartoszyce", "Bartoszyce"),
]
USERS = [
    ("anna.ops", "Anna Kowalska", "mops-bartoszyce", ["ops.social_worker"]),
    ("piotr.ops", "Piotr Nowak", "mops-bartoszyce", ["ops.psychologist"]),
    ("ewa.pup", "Ewa Wiśniewska", "pup-bartoszyce", ["pup.career_adviser", "pup.job_broker"]),
    ("marek.ngo", "Marek Zieliński", "ngo-bartoszyce", ["ngo.crisis_interventionist", "ngo.psychologist"]),
    ("teresa.sup", "Teresa Lewandowska", "partnership", ["supervision.supervisor"]),
    ("admin", "Administrator", "partnership", ["admin", "designer"]),
    # the partnership's data protection officer: the audit log, a person's data export, erasure
    ("inspektor", "Inspektor Ochrony Danych", "partnership", ["auditor"]),
]
PARTNERS = ["mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce", "partnership"]
#: the demo's people: fixed pseudonyms (so the docs and tests can name them) and made-up identities
PEOPLE = [
    ("B-DEM2-KT", {"first_name": "Katarzyna", "last_name": "Nowak", "pesel": "85031204564",
                   "birth_date": "1985-03-12", "phone": "+48 500 100 200", "address": "ul. Kolejowa 4/2, Bartoszyce"}),
    ("B-DEM3-KY", {"first_name": "Tomasz", "last_name": "Wiśniewski", "pesel": "92072507835",
                   "birth_date": "1992-07-25"}),
    ("B-DEM4-K4", {"first_name": "Halina", "last_name": "Kowalczyk", "pesel": "78110309126",
                   "birth_date": "1978-11-03", "address": "ul. Leśna 8, Bartoszyce"}),
]
PASSWORD = "demo"
#: where `pathways demo` keeps its generated secret key (beside the demo database)
SECRET_KEY_FILE = Path("instance") / "secret_key"
#: ... and its data key file (`PATHWAYS_DATA_KEY_FILE`), which seals identities and sensitive values
DATA_KEY_FILE = Path("instance") / "data_keys"


def demo_secret_key(path: Path = SECRET_KEY_FILE) -> str:
    """The demo's secret key: made at random on the first run, then read back (mode 0600).

    A fixed demo key in the source would be a key everyone knows; a fresh one per run would sign
    everybody out at each restart.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC)
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def demo_data_keys(path: Path = DATA_KEY_FILE) -> Path:
    """The demo's data key file: one random key made on the first run (mode 0600), then kept.

    Losing it loses every sealed value of the demo database, as it would in production."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return path
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(KeyRing.new_line() + "\n")
    return path


def load_demo(store: Store, engine: Engine) -> list[int]:
    """Create the demo agencies, users and cases (once); returns the demo case ids."""
    with store.unit_of_work() as uow:
        s = uow.session
        agencies = {a.code: a for a in s.scalars(select(Agency))}
        for code, kind, name, city in AGENCIES:
            if code not in agencies:
                agencies[code] = Agency(code=code, kind=kind, name=name, city=city)
                s.add(agencies[code])
        s.flush()
        known = set(s.scalars(select(User.username)))
        password = hash_password(PASSWORD)
        for username, full_name, agency, roles in USERS:
            if username not in known:
                s.add(User(username=username, full_name=full_name, agency_id=agencies[agency].id,
                           password_hash=password, role_rows=[UserRole(role=r) for r in roles]))
        uow.commit()
        if s.scalar(select(Case.id).limit(1)) is not None:
            return list(s.scalars(select(Case.id).order_by(Case.id)))
    return _demo_cases(store, engine)


def _demo_people(store: Store) -> list[tuple[int, str]]:
    """The demo's three people, registered by the MOPS with made-up identities; (id, pseudonym) each."""
    with store.unit_of_work() as uow:
        s = uow.session
        mops = s.scalars(select(Agency).where(Agency.code == PARTNERS[0])).one()
        anna = s.scalars(select(User).where(User.username == "anna.ops")).one()
        people = []
        for pseudonym, identity in PEOPLE:
            person = Beneficiary(pseudonym=pseudonym, agency_id=mops.id, registered_by=anna.id, status="active")
            s.add(person)
            s.flush()
            s.add(seal_identity(person, identity))
            people.append((person.id, pseudonym))
        uow.commit()
        return people


def _demo_cases(store: Store, engine: Engine) -> list[int]:
    anna = Actor("anna.ops")
    # the partners take part on statutory bases (the labour office, the partnership's monitoring)
    # and the NGO on each person's consent, recorded as they were registered
    ids = []
    for person_id, pseudonym in _demo_people(store):
        with store.unit_of_work() as uow:
            ngo = uow.session.scalars(select(Agency.id).where(Agency.code == PARTNERS[2])).one()
            taken_by = uow.session.scalars(select(User.id).where(User.username == "anna.ops")).one()
            consent = Consent(beneficiary_id=person_id, agency_id=ngo, taken_by=taken_by,
                              purpose="Interwencja kryzysowa i wsparcie psychologiczne w ramach partnerstwa",
                              identity_shared=False, given_on=clock.now())
            uow.session.add(consent)
            uow.session.flush()
            consent_id = consent.id
            uow.commit()
        bases: dict[str, dict[str, Any]] = {PARTNERS[1]: {"basis": "statute", "statute": "labour_market_act"},
                 PARTNERS[2]: {"basis": "consent", "consent_id": consent_id},
                 PARTNERS[3]: {"basis": "statute", "statute": "esf_monitoring"},
                 PARTNERS[0]: {"basis": "own"}}
        ids.append(engine.start_case(anna, "intake_referral", {"beneficiary_pseudonym": pseudonym}, PARTNERS,
                                     pseudonym, beneficiary_id=person_id, bases=bases))
    # Move the second case past identification so the NGO and the OPS psychologist have work.
    with store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == ids[1], HumanTask.status == "open")).one()
    engine.complete_task(anna, task_id, {"needs_crisis_support": True, "risk_level": "high",
                                         "intake_date": "2026-11-20", "notes": "Zgłoszenie z punktu konsultacyjnego"})
    return ids
