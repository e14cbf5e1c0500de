"""Domain errors of the privacy services (mapped to HTTP in `api/errors.py`, to pages in `web/`)."""

from __future__ import annotations

from pathways.engine.errors import Conflict


class DuplicatePerson(Conflict):
    """The PESEL given is already that of a person whose identity the user's agency may see.

    Carries the existing person's pseudonym (`details['existing']`): use that record instead of
    registering a second one. Never raised for a person only other agencies know (not revealed).
    """

    code = "duplicate_person"

    def __init__(self, pseudonym: str) -> None:
        super().__init__(f"this person is already registered as {pseudonym}: use that record", existing=pseudonym)
        self.pseudonym = pseudonym
