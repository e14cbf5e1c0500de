"""Configuration from the environment (PATHWAYS_*).

There is no built-in secret: `PATHWAYS_SECRET_KEY` signs the session cookies, and a value known
to anyone (a default in the source, a short word) would let them forge one. `create_app` refuses
to build an app without a key of at least `MIN_SECRET_BYTES`; `pathways demo` makes a random one
and keeps it in `instance/secret_key`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pathways.engine.budget import EngineLimits
from pathways.store.db import DEFAULT_URL

#: 32 bytes: as long as the HMAC-SHA1 output itsdangerous signs with, and out of reach of guessing
MIN_SECRET_BYTES = 32


class InsecureConfig(Exception):
    """The configuration would run the server with a guessable secret; the message says what to set."""


def _env(name: str, default: str) -> str:
    return os.environ.get(f"PATHWAYS_{name}", default)


def _seconds(name: str, default: str) -> float:
    """A number of seconds; a wrong value names its variable (the CLI shows this one line)."""
    raw = _env(name, default)
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"PATHWAYS_{name} must be a number of seconds, not {raw!r}") from None


def _count(name: str, default: str) -> int:
    """A whole number of at least 1; a wrong value names its variable."""
    raw = _env(name, default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"PATHWAYS_{name} must be a whole number of at least 1, not {raw!r}")
    return value


def _hours(name: str, default: str) -> float:
    """A number of hours, at least 0; a wrong value names its variable."""
    raw = _env(name, default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 24 * 3660:
        raise ValueError(f"PATHWAYS_{name} must be a number of hours (0 or more), not {raw!r}")
    return value


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def _resume_timers() -> str:
    raw = _env("RESUME_TIMERS", "shift").strip().lower()
    if raw not in ("shift", "fire"):
        raise ValueError(f"PATHWAYS_RESUME_TIMERS must be shift or fire, not {raw!r}")
    return raw


@dataclass
class Config:
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", DEFAULT_URL))
    workflows_dir: Path = field(default_factory=lambda: Path(_env("WORKFLOWS_DIR", "workflows")))
    #: signs the session cookies; required (no default), at least MIN_SECRET_BYTES long
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    run_scheduler: bool = field(default_factory=lambda: _env("SCHEDULER", "1") == "1")
    #: how long an API bearer token lives
    token_hours: float = field(default_factory=lambda: float(_env("TOKEN_HOURS", "12")))
    #: the largest request body the server accepts (definition uploads), in bytes
    max_upload_bytes: int = field(default_factory=lambda: int(_env("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))))
    #: server processes for `pathways serve` (1: waitress; more: gunicorn workers, Unix only)
    workers: int = field(default_factory=lambda: int(_env("WORKERS", "1")))
    #: the longest a timer scheduler sleeps, in seconds, when it knows of no earlier due timer: how
    #: late it may notice a timer that another process (a second server, the CLI) wrote
    timer_max_sleep: float = field(default_factory=lambda: _seconds("TIMER_MAX_SLEEP", "60"))
    #: a page session ends after this many minutes without a request
    session_idle_minutes: float = field(default_factory=lambda: float(_env("SESSION_IDLE_MINUTES", "30")))
    #: ... and this many hours after signing in, however active
    session_hours: float = field(default_factory=lambda: float(_env("SESSION_HOURS", "12")))
    #: the session cookie is sent over HTTPS only (off only for plain-http demos and tests)
    secure_cookies: bool = field(default_factory=lambda: _flag("SECURE_COOKIES", True))
    #: how long a message no case waits for yet is kept, in days (`pathways.engine.messages`)
    message_keep_days: float = field(default_factory=lambda: float(_env("MESSAGE_KEEP_DAYS", "7")))
    #: reverse proxies in front of the server whose X-Forwarded-For/-Proto are trusted (0: none)
    proxy_hops: int = field(default_factory=lambda: int(_env("PROXY_HOPS", "0")))

    #: where the data keys come from (`pathways.base.sealing.load_ring`): PATHWAYS_DATA_KEYS, the
    #: key lines themselves, or PATHWAYS_DATA_KEY_FILE, a file of them; required by serve and worker
    data_key_env: dict[str, str] = field(default_factory=lambda: {
        k: os.environ[k] for k in ("PATHWAYS_DATA_KEYS", "PATHWAYS_DATA_KEY_FILE") if k in os.environ})

    #: the script sandbox and the engine's budget per command (docs/security.md, "Script sandbox")
    script_seconds: float = field(default_factory=lambda: _seconds("SCRIPT_SECONDS", "1"))
    script_memory_mb: int = field(default_factory=lambda: int(_env("SCRIPT_MEMORY_MB", "256")))
    script_workers: int = field(default_factory=lambda: int(_env("SCRIPT_WORKERS", "2")))
    max_state_bytes: int = field(default_factory=lambda: int(_env("MAX_STATE_BYTES", str(1024 * 1024))))
    max_engine_steps: int = field(default_factory=lambda: int(_env("MAX_ENGINE_STEPS", "10000")))
    max_command_seconds: float = field(default_factory=lambda: _seconds("MAX_COMMAND_SECONDS", "30"))
    max_multi_instance: int = field(default_factory=lambda: int(_env("MAX_MULTI_INSTANCE", "1000")))
    #: failures in a row of a case's background work (a timer firing) before it becomes an incident
    #: that waits for an administrator (`pathways.engine.incidents`)
    incident_attempts: int = field(default_factory=lambda: _count("INCIDENT_ATTEMPTS", "3"))
    #: what a resumed case's timers do (`pathways.engine.lifecycle`): `shift` by the suspension's
    #: length, or `fire` (the overdue ones fire at once)
    resume_timers: str = field(default_factory=lambda: _resume_timers())
    #: give a disabled user's claimed tasks back to their roles' queues (`pathways.tasks.released`) ...
    release_disabled_claims: bool = field(default_factory=lambda: _flag("RELEASE_DISABLED_CLAIMS", False))
    #: ... this many hours after the account was disabled (0: at once, by `pathways user disable`)
    release_disabled_after_hours: float = field(default_factory=lambda: _hours("RELEASE_DISABLED_AFTER_HOURS", "0"))

    @property
    def release_grace(self) -> timedelta | None:
        """How long a disabled user's claims wait before release; None: they are never released by themselves."""
        return timedelta(hours=self.release_disabled_after_hours) if self.release_disabled_claims else None

    @property
    def engine_limits(self) -> EngineLimits:
        return EngineLimits(self.script_seconds, self.script_memory_mb, self.script_workers, self.max_state_bytes,
                            self.max_engine_steps, self.max_command_seconds, self.max_multi_instance)

    @property
    def roles_file(self) -> Path:
        return self.workflows_dir / "roles.toml"


def require_secret_key(key: str) -> str:
    """The key itself, or InsecureConfig: a server must never sign sessions with a known value."""
    hint = ("set PATHWAYS_SECRET_KEY to a random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    if not key:
        raise InsecureConfig(f"PATHWAYS_SECRET_KEY is not set: {hint}")
    if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
        raise InsecureConfig(f"PATHWAYS_SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: {hint}")
    return key


#: what `serve`, `worker` and the app say when no data key is configured
NO_DATA_KEY = ("no data key: set PATHWAYS_DATA_KEY_FILE to a file made by "
               "`pathways privacy new-key > FILE` (mode 0600), or PATHWAYS_DATA_KEYS (docs/privacy.md, 'Keys')")


def require_data_keys() -> None:
    """InsecureConfig unless a data key ring is configured: a server must seal what it stores."""
    from pathways.base import sealing

    try:
        sealing.ring()
    except sealing.SealingError:
        raise InsecureConfig(NO_DATA_KEY) from None
