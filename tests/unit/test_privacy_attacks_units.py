"""Attacks on the person's rights that need no database (security review of issue 15)."""

from __future__ import annotations

from tests.unit.test_privacy_rights_units import _field, _scrubber

SECRET = "Anna Nowak, ul. Lipowa 4"


def test_a_wiped_field_named_like_an_engine_key_loses_its_value():
    """A designer names free-text or sensitive fields `data`, `stage`, `correction`, `field`: the
    engine uses those keys in its own payloads, but a form field's value under them is still wiped."""
    scrub = _scrubber({f.id: f for f in [_field("data", "string"), _field("stage", "textarea", sensitive=True),
                                         _field("correction", "string"), _field("field", "string"),
                                         _field("roles", "enum", sensitive=True)]})
    task_data = {"data": SECRET, "stage": SECRET, "correction": SECRET, "field": SECRET, "roles": "victim"}
    assert scrub.data(task_data) == {k: None for k in task_data}
    # the engine's own structures of the same names are walked, and what they hold is wiped by its rule
    event = {"data": {"data": SECRET, "nights": 2}, "correction": {"field": "data", "reason": "bo tak"}}
    assert scrub.data(event) == {"data": {"data": None, "nights": 2}, "correction": {"field": None, "reason": None}}
    snapshot = {"tasks": {"t": {"id": "t", "data": task_data}}, "data": {"data": SECRET}}
    assert SECRET not in repr(scrub.snapshot(snapshot))


def test_sqlite_connections_overwrite_what_they_delete():
    """Debian's SQLite deletes securely by default, other builds (python.org's, pysqlite3) do not: the
    store asks for it on every connection, so wiped and erased values do not linger in free pages."""
    from pathways.store.db import _sqlite_pragmas

    ran: list[str] = []

    class Cursor:
        def execute(self, sql: str) -> None:
            ran.append(sql)

        def close(self) -> None:
            pass

    class Connection:
        isolation_level = ""

        def cursor(self) -> Cursor:
            return Cursor()

    _sqlite_pragmas(Connection(), None)
    assert "PRAGMA secure_delete=ON" in ran


def test_a_pesel_is_found_under_every_key_of_the_ring_mid_rotation():
    """A key is added (step 1 of a rotation) or a rotation crashed half way: identities not yet
    re-sealed carry their PESEL's index under the old key. A search must still find them, or
    registering the same person again makes a duplicate instead of offering the existing record."""
    import base64

    from pathways.base import sealing
    from pathways.privacy.identity import pesel_indexes, seal_identity
    from pathways.store.models import Beneficiary

    pesel = "92071314764"
    old, new = (base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2))
    kept = sealing._ring
    try:
        sealing.configure(sealing.KeyRing.parse(f"k1:{old}"))
        row = seal_identity(Beneficiary(id=1, pseudonym="B-7K3Q-9M"), {"pesel": pesel})
        sealing.configure(sealing.KeyRing.parse(f"k1:{old}\nk2:{new}"))
        assert row.pesel_index in pesel_indexes(pesel)
        assert seal_identity(Beneficiary(id=2, pseudonym="B-7K3Q-9M"), {"pesel": pesel}).pesel_index in (
            pesel_indexes(pesel))
        assert pesel_indexes("92071314771") and row.pesel_index not in pesel_indexes("92071314771")
    finally:
        sealing.configure(kept)


def test_a_key_file_with_its_fields_swapped_does_not_print_the_key():
    """An operator writes `<base64 key>:<id>`: the error goes to the terminal and the server log
    (sealing errors are trusted there), so it must say what is wrong without quoting the key."""
    import base64

    import pytest

    from pathways.base import sealing

    key = base64.b64encode(bytes(range(32))).decode()
    for text in (f"{key}:k1", f"{key[:20]}:{key}", f"k1:{key}\n{key}"):
        with pytest.raises(sealing.SealingError) as refused:
            sealing.KeyRing.parse(text)
        assert key[:12] not in str(refused.value) and "line" in str(refused.value)


def test_a_form_field_named_like_the_engines_payload_keys_is_not_deployed(roles):
    """A designer calls a free-text field `correction` (or `data`): the correction event would put
    its own record under the same key (the new value lost, or sealing it fails), and the events'
    nested case data would be mistaken for the field. Refused at deploy, located."""
    from pathways.engine.definitions import SourceFile
    from pathways.engine.lint import lint
    from tests.helpers import WORKFLOWS

    intake = (WORKFLOWS / "intake_referral.bpmn").read_text()
    for name in ("correction", "data"):
        problems = [p for p in lint([SourceFile("case.bpmn", intake.replace('id="notes"', f'id="{name}"').encode())],
                                    roles) if p.severity == "error"]
        assert [p.element for p in problems] == ["identify"] and repr(name) in problems[0].message
