"""Demo data: three agencies of one partnership, a user per role, and a few cases in flight.

Idempotent: running it twice creates nothing new. Every demo user's password is `demo`, far
below the password policy (`accounts.check_password_policy`): the demo writes its users directly,
bypassing the policy on purpose, and is never for real data.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import select

from pathways.base.sealing import KeyRing
from pathways.engine.cases import Actor, Engine
from pathways.store.db import Store
from pathways.store.models import Agency, Case, HumanTask, User, UserRole
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
]
PARTNERS = ["mops-bartoszyce", "pup-bartoszyce", "ngo-bartoszyce", "partnership"]
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


def _demo_cases(store: Store, engine: Engine) -> list[int]:
    anna = Actor("anna.ops")
    ids = [engine.start_case(anna, "intake_referral", {"beneficiary_pseudonym": name}, PARTNERS, name)
           for name in ("BEN-001", "BEN-002", "BEN-003")]
    # Move the second case past identification so the NGO and the OPS psychologist have work.
    with store.unit_of_work(write=False) as uow:
        task_id = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == ids[1], HumanTask.status == "open")).one()
    engine.complete_task(anna, task_id, {"needs_crisis_support": True, "risk_level": "high",
                                         "intake_date": "2026-11-20", "notes": "Zgłoszenie z punktu konsultacyjnego"})
    return ids
