"""Pseudonyms people can read aloud: `B-7K3Q-9M`.

Six symbols from an alphabet without look-alikes (no 0/O, 1/I/L, U; Crockford's base 32 less U
and the digits 0 and 1), drawn by `secrets`: 30^6, about 729 million, so one cannot be guessed from
another and a typo rarely lands on a real one; the last symbol is a check over the first five
(weighted sum mod 30), so a mistyped pseudonym is refused as malformed before any lookup.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(rf"^B-[{ALPHABET}]{{4}}-[{ALPHABET}]{{2}}$")


def _check(symbols: str) -> str:
    return ALPHABET[sum((i + 1) * ALPHABET.index(c) for i, c in enumerate(symbols)) % len(ALPHABET)]


def new_pseudonym() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(5))
    symbols = body + _check(body)
    return f"B-{symbols[:4]}-{symbols[4:]}"


def normalise(text: str) -> str:
    """A pseudonym as typed (any case, spaces, O for 0 confusions aside) in its written form."""
    return text.strip().upper().replace(" ", "")


def is_pseudonym(text: str) -> bool:
    """Well formed and its check symbol right."""
    if not PATTERN.match(text):
        return False
    symbols = text[2:6] + text[7:9]
    return _check(symbols[:5]) == symbols[5]
