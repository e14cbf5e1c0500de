"""Password hashes: scrypt from the standard library, in the `scrypt:N:r:p$salt$hex` form.

Why not werkzeug's helpers: the tasks layer must not depend on the web framework (the
`no-flask-below-http` import contract). The stored form is the one werkzeug writes, so hashes
written before this module existed still verify, and a hash written here can be checked by
werkzeug too (tests/unit/test_passwords.py checks both ways).

Cost: N=2**15, r=8 takes 32 MiB per hash; callers bound how many run at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

#: scrypt's cost parameters for new hashes: those werkzeug 3 writes, so a new hash costs what the
#: stored ones do (the login semaphore in tasks/accounts.py is sized for them)
N, R, P = 2**15, 8, 1
_SALT_CHARS = string.ascii_letters + string.digits
_SALT_LENGTH = 16


def hash_password(password: str) -> str:
    """A new salted hash of `password` to store."""
    salt = "".join(secrets.choice(_SALT_CHARS) for _ in range(_SALT_LENGTH))
    return f"scrypt:{N}:{R}:{P}${salt}${_scrypt(password, salt, N, R, P)}"


def check_password(stored: str, password: str) -> bool:
    """Whether `password` matches the `stored` hash; False for any hash not in the scrypt form."""
    try:
        method, salt, digest = stored.split("$", 2)
        name, *params = method.split(":")
        n, r, p = (int(x) for x in params) if params else (N, R, P)
    except ValueError:
        return False
    if name != "scrypt":
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    # scrypt needs 128 * n * r * p bytes; OpenSSL wants a little headroom above that
    return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                          maxmem=132 * n * r * p, dklen=64).hex()
