"""A person's identity: which fields it has, how they are checked, sealed and opened.

The identity is one JSON object sealed as one token, bound to the person's pseudonym (a token
moved to another person does not open). A PESEL is checked by its check digit and its date, and
found again through a blind index, never stored in plain text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from pathways.base import clock, sealing
from pathways.engine.errors import InvalidData
from pathways.store.models import Beneficiary, Identity

#: field -> the longest value accepted
IDENTITY_FIELDS: dict[str, int] = {"first_name": 100, "last_name": 150, "pesel": 11, "birth_date": 10,
                                   "phone": 40, "email": 200, "address": 500}
_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def pesel_problem(pesel: str) -> str | None:
    """Why `pesel` is not a valid PESEL (11 digits, a real date of birth, the check digit), or None."""
    if len(pesel) != 11 or not pesel.isascii() or not pesel.isdigit():
        return "a PESEL has 11 digits"
    digits = [int(c) for c in pesel]
    if (10 - sum(w * d for w, d in zip(_WEIGHTS, digits, strict=False)) % 10) % 10 != digits[10]:
        return "the check digit does not match: a digit is mistyped"
    if pesel_birth_date(pesel) is None:
        return "the first six digits are not a date of birth"
    return None


def pesel_birth_date(pesel: str) -> date | None:
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    century = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}.get(month - month % 20)
    if century is None:
        return None
    try:
        return date(century + year, month % 20, day)
    except ValueError:
        return None


def check_identity(fields: Mapping[str, Any]) -> dict[str, str]:
    """The identity fields given, trimmed and checked; InvalidData naming each field at fault."""
    if not isinstance(fields, Mapping):
        raise InvalidData("the identity must be an object", fields={"identity": "must be an object"})
    problems: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, value in fields.items():
        if value is None or value == "":
            continue
        problem = _field_problem(key, value)
        if problem:
            problems[f"identity.{key}"] = problem
        else:
            clean[key] = value.strip()
    if "pesel" in clean and (problem := pesel_problem(clean["pesel"])):
        problems["identity.pesel"] = problem
    if "birth_date" in clean and (problem := _birth_date_problem(clean, "identity.pesel" in problems)):
        problems["identity.birth_date"] = problem
    if problems:
        raise InvalidData("the identity has problems", fields=problems)
    return clean


def _field_problem(key: str, value: Any) -> str | None:
    if key not in IDENTITY_FIELDS:
        return "not an identity field (" + ", ".join(IDENTITY_FIELDS) + ")"
    if not isinstance(value, str):
        return "must be text"
    if len(value.strip()) > IDENTITY_FIELDS[key] or any(ord(c) < 32 for c in value):
        return f"at most {IDENTITY_FIELDS[key]} characters, no control characters"
    return None


def _birth_date_problem(clean: Mapping[str, str], pesel_wrong: bool) -> str | None:
    try:
        born = date.fromisoformat(clean["birth_date"])
    except ValueError:
        return "a date as YYYY-MM-DD"
    if "pesel" in clean and not pesel_wrong and pesel_birth_date(clean["pesel"]) != born:
        return "does not agree with the PESEL"
    return None


def pesel_index(pesel: str) -> str:
    """The index a row is written with (under the current key)."""
    return sealing.ring().index(pesel, "pesel")


def pesel_indexes(pesel: str) -> list[str]:
    """What a search by PESEL matches (`Identity.pesel_index.in_(...)`): the index under every key of
    the ring, so a person whose row a rotation has not re-sealed yet is still found."""
    return sealing.ring().indexes(pesel, "pesel")


def seal_identity(beneficiary: Beneficiary, fields: Mapping[str, str]) -> Identity:
    """A new `Identity` row of checked `fields` for `beneficiary` (whose pseudonym is set)."""
    row = Identity(beneficiary_id=beneficiary.id, updated_at=clock.now())
    reseal(row, beneficiary.pseudonym, fields)
    return row


def reseal(row: Identity, pseudonym: str, fields: Mapping[str, str]) -> None:
    """Write `fields` into `row` under the current key (also the rotation's step)."""
    row.sealed = sealing.seal(json.dumps(dict(fields), ensure_ascii=False, sort_keys=True), f"identity:{pseudonym}")
    row.pesel_index = pesel_index(fields["pesel"]) if fields.get("pesel") else None


def open_identity(row: Identity, pseudonym: str) -> dict[str, str]:
    opened: dict[str, str] = json.loads(sealing.ring().unseal(row.sealed, f"identity:{pseudonym}"))
    return opened
