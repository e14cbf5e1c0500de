"""The password policy: length, not a common password or a variant of one, not the username."""

from __future__ import annotations

import pytest

from pathways.engine.errors import InvalidData
from pathways.tasks.accounts import MIN_PASSWORD_LENGTH, check_password_policy

WEAK = [
    ("demo", "too short"), ("Short-1!", "too short"), ("x" * (MIN_PASSWORD_LENGTH - 1), "too short"),
    ("password1234", "common"), ("P@ssw0rd2026!", "common"), ("MyPathwaysLogin", "common"),
    ("Pathways2026!", "common"), ("qwerty123456", "common"), ("1q2w3e4r5t6y", "common"),
    ("!!Qwertyuiop!!", "common"), ("Haslo12345678", "common"), ("Warszawa2026!", "common"),
    ("123456789012", "too simple"), ("aaaaaaaaaaaa", "too simple"), ("abababababab", "too simple"),
    ("anna.ops-2026-spring", "username"), ("ANNA.OPS.secure.9", "username"),
]


@pytest.mark.parametrize(("password", "why"), WEAK)
def test_weak_passwords_are_refused(password, why):
    with pytest.raises(InvalidData) as refused:
        check_password_policy(password, "anna.ops")
    message = refused.value.details["fields"]["password"]
    expected = {"too short": "at least 12", "common": "common password", "too simple": "too simple",
                "username": "username"}[why]
    assert expected in message, (password, message)


@pytest.mark.parametrize("password", ["lantern-orchard-47", "Kawa z mlekiem o 7:15", "correct horse battery",
                                      "zielony-parasol-nad-Łyną"])
def test_long_uncommon_passwords_pass(password):
    check_password_policy(password, "anna.ops")
