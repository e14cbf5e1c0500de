"""People and cases for the tests of the person's rights (export, rectification, retention, erasure).

A person is a `Beneficiary` row with a sealed identity; their cases are started through the engine
(`PathwayDriver`) and linked by `Case.beneficiary_id`, as the registering service does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from pathways.privacy.identity import seal_identity
from pathways.privacy.pseudonyms import new_pseudonym
from pathways.store.models import Agency, Beneficiary, Case
from tests.pathway_driver import PathwayDriver

IDENTITY = {"first_name": "Zofia", "last_name": "Wiśniewska-Trop", "pesel": "92071314764",
            "birth_date": "1992-07-13", "phone": "+48 600 111 222", "address": "ul. Kwiatowa 7, Olsztyn"}


def register_person(driver: PathwayDriver, agency: str = "ngo-test",
                    identity: dict[str, str] | None = None) -> Beneficiary:
    with driver.store.unit_of_work() as uow:
        s = uow.session
        agency_id = s.scalars(select(Agency.id).where(Agency.code == agency)).one()
        person = Beneficiary(pseudonym=new_pseudonym(), agency_id=agency_id)
        s.add(person)
        s.flush()
        s.add(seal_identity(person, identity or IDENTITY))
        uow.commit()
        s.refresh(person)
        return person


def start_for(driver: PathwayDriver, person: Beneficiary, key: str, data: dict[str, Any] | None = None,
              agencies: list[str] | None = None) -> int:
    case_id = driver.start(key, data, agencies, beneficiary=person.pseudonym)
    with driver.store.unit_of_work() as uow:
        uow.session.execute(update(Case).where(Case.id == case_id).values(beneficiary_id=person.id))
        uow.commit()
    return case_id
