"""Configuration from the environment (PATHWAYS_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pathways.store.db import DEFAULT_URL


def _env(name: str, default: str) -> str:
    return os.environ.get(f"PATHWAYS_{name}", default)


def _seconds(name: str, default: str) -> float:
    """A number of seconds; a wrong value names its variable (the CLI shows this one line)."""
    raw = _env(name, default)
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"PATHWAYS_{name} must be a number of seconds, not {raw!r}") from None


@dataclass
class Config:
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", DEFAULT_URL))
    workflows_dir: Path = field(default_factory=lambda: Path(_env("WORKFLOWS_DIR", "workflows")))
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", "dev-only-change-me"))
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

    @property
    def roles_file(self) -> Path:
        return self.workflows_dir / "roles.toml"
