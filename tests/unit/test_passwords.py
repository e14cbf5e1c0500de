"""Password hashes written by `pathways.tasks.passwords` and by werkzeug verify with each other,
so accounts created before the tasks layer dropped werkzeug still sign in."""

from werkzeug.security import check_password_hash, generate_password_hash

from pathways.tasks.passwords import check_password, hash_password


def test_a_hash_checks_its_password_only():
    stored = hash_password("sekret")
    assert stored.startswith("scrypt:32768:8:1$") and "sekret" not in stored
    assert check_password(stored, "sekret")
    assert not check_password(stored, "sekret ")
    assert hash_password("sekret") != stored  # salted


def test_hashes_written_by_werkzeug_still_verify_and_werkzeug_reads_ours():
    assert check_password(generate_password_hash("stare-haslo"), "stare-haslo")
    assert not check_password(generate_password_hash("stare-haslo"), "inne")
    assert check_password_hash(hash_password("nowe-haslo"), "nowe-haslo")


def test_hashes_of_another_form_never_match():
    for stored in ["", "plain", "pbkdf2:sha256:1000$salt$00", "scrypt:x:8:1$salt$00", "scrypt$salt"]:
        assert not check_password(stored, "plain")
