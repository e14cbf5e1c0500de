"""The application's services wired together once: store, role vocabulary, engine.

The Flask app, the CLI and the worker each build one `Pathways` from a `Config`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from pathways.base import sealing
from pathways.config import Config
from pathways.engine.cases import Engine
from pathways.engine.definitions import collect
from pathways.engine.deploy import DeployReport, deploy
from pathways.engine.roles import RoleVocabulary
from pathways.store import schema
from pathways.store.db import Store
from pathways.tasks.deployers import DeployPolicy


class Pathways:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        ring = sealing.load_ring(self.config.data_key_env)
        if ring is not None:  # else sealing refuses to write: `require_data_keys` says what to set
            sealing.configure(ring)
        self.store = Store(self.config.database_url)
        self.roles = RoleVocabulary.load(self.config.roles_file)
        self.engine = Engine(self.store, self.roles, limits=self.config.engine_limits,
                             incident_attempts=self.config.incident_attempts)
        self.engine.message_keep = timedelta(days=self.config.message_keep_days)
        self.deployers = DeployPolicy.load(self.config.workflows_dir / "deployers.toml")

    def housekeeping(self) -> list[Callable[[], object]]:
        """Work the scheduler of `serve`/`worker` runs every few minutes beside the message sweep:
        giving disabled users' claims back once their grace period passed (PATHWAYS_RELEASE_DISABLED_CLAIMS)."""
        grace = self.config.release_grace
        if grace is None:
            return []
        from pathways.tasks import released

        return [lambda: released.release_due(self.engine, grace)]

    def upgrade_db(self) -> None:
        schema.upgrade(self.store.engine)

    def deploy(self, paths: list[str | Path] | None = None, deployed_by: str | None = None) -> DeployReport:
        """Deploy files on the server (the CLI, the demo): never restricted by `deployers`."""
        return deploy(self.store, collect(paths or [self.config.workflows_dir]), self.roles, deployed_by=deployed_by)

    def close(self) -> None:
        self.store.dispose()


def services(app: Any) -> Pathways:
    """The `Pathways` an app was built with (`create_app` keeps it in `app.extensions`)."""
    found: Pathways = app.extensions["pathways"]
    return found
