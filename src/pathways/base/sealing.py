"""Sealing values at rest: authenticated encryption (AES-256-GCM) with a key ring, and blind indexes.

A sealed value is a text token `\\x01pw1:<key id>:<base64 of nonce + ciphertext + tag>`. The SOH
first character keeps tokens apart from anything a user can type (text input refuses it:
`pathways.base.values.text_problem`), so a reader unseals every token it meets and leaves other
text as it is (values written before sealing existed, until `pathways privacy rotate-key` seals
them). Associated data binds a token to where it belongs (a case and a field, a person): a token
copied elsewhere does not open.

The keys never live in the database: `configure` is given a `KeyRing` read from the environment
(`PATHWAYS_DATA_KEYS`) or a key file (`PATHWAYS_DATA_KEY_FILE`) when the services start. The last
key of the ring seals; every key of the ring opens, so a rotation adds a key, re-seals, and then
drops the old one. A blind index (HMAC-SHA256 under a key derived from the current key) lets an
exact value (a PESEL) be found without storing it; rotation recomputes the indexes, and until it
has, a search looks for the index under every key of the ring (`KeyRing.indexes`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pathways.base import logs

PREFIX = "\x01pw1:"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_NONCE = 12


class SealingError(Exception):
    """A sealed value cannot be opened or made: no key configured, an unknown key id, a forged token."""


logs.trust_messages(SealingError)  # names key ids, never a value


@dataclass(frozen=True)
class Sealed:
    """A value the writer wants sealed (a marker `SealedValues` columns turn into a token)."""

    value: Any


class KeyRing:
    """Named 256-bit keys, oldest first; the last one seals."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise SealingError("the data key ring is empty")
        for kid, key in keys.items():
            if not _KEY_ID.match(kid):
                raise SealingError(f"data key id {kid!r}: use 1-16 letters, digits, '-' or '_'")
            if len(key) != 32:
                raise SealingError(f"data key {kid!r} must be 32 bytes (it is {len(key)})")
        self.keys = dict(keys)
        self.current = list(self.keys)[-1]
        self._ciphers = {kid: AESGCM(key) for kid, key in self.keys.items()}
        self._index_keys = {kid: hmac.new(key, b"pathways blind index", hashlib.sha256).digest()
                            for kid, key in self.keys.items()}
        self._index_key = self._index_keys[self.current]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Lines `<id>:<base64 of 32 bytes>`, oldest first; blank lines and `#` comments ignored."""
        keys: dict[str, bytes] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            kid, sep, encoded = line.partition(":")
            if not sep:
                raise SealingError(f"data keys, line {number}: expected <id>:<base64 key>")
            if not _KEY_ID.match(kid.strip()):  # said without quoting it: it may be the key, swapped
                raise SealingError(f"data keys, line {number}: the id before ':' must be 1-16 letters, digits, "
                                   "'-' or '_' (expected <id>:<base64 key>)")
            try:
                keys[kid.strip()] = base64.b64decode(encoded.strip(), validate=True)
            except ValueError:
                raise SealingError(f"data keys, line {number}: the key is not base64") from None
        return cls(keys)

    @staticmethod
    def new_line(kid: str | None = None) -> str:
        """A line for a key file holding a fresh random key (id: `k` + the date and 4 random hex digits)."""
        from pathways.base import clock

        kid = kid or f"k{clock.now():%Y%m%d}{secrets.token_hex(2)}"
        return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"

    def seal(self, plaintext: str, context: str = "") -> str:
        nonce = secrets.token_bytes(_NONCE)
        body = self._ciphers[self.current].encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{PREFIX}{self.current}:{base64.b64encode(nonce + body).decode()}"

    def unseal(self, token: str, context: str = "") -> str:
        kid, _, encoded = token[len(PREFIX):].partition(":")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SealingError(f"a value is sealed with data key {kid!r}, which is not in the key ring")
        try:
            raw = base64.b64decode(encoded, validate=True)
            return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("utf-8")).decode("utf-8")
        except (ValueError, InvalidTag):
            raise SealingError(f"a value sealed with data key {kid!r} does not open (altered or moved)") from None

    def index(self, value: str, purpose: str) -> str:
        """A blind index of `value` for one purpose (e.g. `pesel`): equal values, equal indexes."""
        return hmac.new(self._index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def indexes(self, value: str, purpose: str) -> list[str]:
        """The blind index of `value` under every key of the ring, the current one first: what a
        search must look for, since rows not yet re-sealed by a rotation (one under way, or one
        that stopped half way) carry the index of an older key."""
        current = self.index(value, purpose)
        return [current, *(hmac.new(k, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
                           for kid, k in self._index_keys.items() if kid != self.current)]

    def key_id_of(self, token: str) -> str:
        return token[len(PREFIX):].partition(":")[0]


_lock = threading.Lock()
_ring: KeyRing | None = None


def configure(ring: KeyRing | None) -> None:
    """Make `ring` the process's key ring (the services call this once as they start)."""
    global _ring
    with _lock:
        _ring = ring


def ring() -> KeyRing:
    if _ring is None:
        raise SealingError("no data key is configured: set PATHWAYS_DATA_KEY_FILE or PATHWAYS_DATA_KEYS "
                           "(docs/privacy.md, 'Keys')")
    return _ring


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(plaintext: str, context: str = "") -> str:
    return ring().seal(plaintext, context)


def unseal(value: str, context: str = "") -> str:
    """The plain text of a token; text that is not a token is returned as it is (written before sealing)."""
    return ring().unseal(value, context) if is_sealed(value) else value


def cause_of(error: BaseException) -> SealingError | None:
    """The `SealingError` behind `error`: itself, or the one a database layer wrapped (a column type
    sealing a parameter raises inside SQLAlchemy, which wraps it in a `StatementError`)."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, SealingError):
            return seen
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return None


def load_ring(env: Mapping[str, str] | None = None) -> KeyRing | None:
    """The key ring the environment names: `PATHWAYS_DATA_KEYS` (the lines) or `PATHWAYS_DATA_KEY_FILE`."""
    env = os.environ if env is None else env
    if env.get("PATHWAYS_DATA_KEYS"):
        return KeyRing.parse(env["PATHWAYS_DATA_KEYS"].replace(";", "\n"))
    path = env.get("PATHWAYS_DATA_KEY_FILE")
    if path:
        try:
            return KeyRing.parse(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SealingError(f"cannot read the data key file {path}: {exc.strerror}") from None
    return None
