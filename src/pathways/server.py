"""Serving the web application: waitress in one process, or gunicorn with several worker processes.

One process (`workers=1`, the default) is waitress with `threads` request threads; they share one
core (the GIL). Several processes (`workers>1`) are gunicorn's master with `workers` forked
gthread workers of `threads` threads each, through gunicorn's Python API (Unix only).

The master builds the app once before forking, without its scheduler and before any connection
is opened, to fail early and to share the imported code, then drops it; each worker calls
`create_app` after the fork, so no database connection, pool or scheduler thread crosses a fork.
Each worker runs its own timer scheduler (unless PATHWAYS_SCHEDULER=0): a due timer is claimed
by one `UPDATE ... RETURNING` in a write transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the
database write lock on SQLite), so each fires once whichever worker wakes first.

SIGTERM and Ctrl+C (SIGINT) stop either server cleanly, with exit code 0: waitress closes its
sockets and lets its threads finish; gunicorn's master stops accepting, lets the workers finish
their requests (SIGTERM, up to 30 s) or stops them at once (SIGINT), then exits.
"""

from __future__ import annotations

import dataclasses
import signal
from types import FrameType
from typing import Any

from pathways.config import Config
from pathways.limits import GUNICORN_REQUEST_LINE


class ServerUnavailable(Exception):
    """Several worker processes were asked for where gunicorn cannot run."""


def serve_waitress(config: Config, host: str, port: int, threads: int) -> None:
    """One process: waitress with `threads` request threads; returns when stopped."""
    from waitress import serve

    from pathways.app import create_app

    app = create_app(config)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)  # waitress's loop catches it, closes its sockets and returns

    previous = signal.signal(signal.SIGTERM, stop)
    _announce(f"pathways is serving on http://{_address(host, port)}/ (waitress, {threads} threads; Ctrl+C to stop)")
    try:
        serve(app, host=host, port=port, threads=threads)
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_gunicorn(config: Config, host: str, port: int, workers: int, threads: int, verbose: bool = False) -> None:
    """`workers` gunicorn gthread processes of `threads` threads each; exits (0) when stopped.

    Each worker builds its own app from `config` after the fork. Raises `ServerUnavailable`
    where gunicorn cannot be imported, and what `create_app` raises if the app cannot be built.
    """
    check_gunicorn()
    from gunicorn.app.base import BaseApplication
    from gunicorn.errors import AppImportError

    from pathways.app import create_app

    options = {
        "bind": _address(host, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "proc_name": "pathways",
        "loglevel": "info" if verbose else "warning",
        "errorlog": "-",
        "accesslog": None,
        # an idle keep-alive connection stays open 5 s (gunicorn's default 2 s cut off clients that
        # paused a moment; its advice for clients without a proxy in front is 1-5 s)
        "keepalive": 5,
        "preload_app": False,  # the app, its pool and its scheduler are made in each worker
        "control_socket_disable": True,  # no gunicornc socket in $HOME, no extra thread in the master
        # let long addresses through to the app, which answers 414 in its own shape (pathways.limits)
        "limit_request_line": GUNICORN_REQUEST_LINE,
    }

    class PathwaysApplication(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            try:
                return create_app(config)
            except Exception as exc:  # one line from gunicorn ("App failed to load"), not a traceback
                raise AppImportError(f"pathways: the application could not start: {type(exc).__name__}: {exc}") \
                    from exc

    _rehearse(config)
    _announce(f"pathways is serving on http://{_address(host, port)}/ (gunicorn, {workers} workers x {threads} "
              "threads; Ctrl+C to stop)")
    # Never returns: the master ends with SystemExit (0 after SIGTERM/SIGINT), and so does each
    # forked worker, whose stack this is too; so nothing after this call may clean anything up.
    PathwaysApplication(prog="pathways serve").run()


def check_gunicorn() -> None:
    """Raise `ServerUnavailable` where gunicorn cannot be imported (not installed, or Windows)."""
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError as exc:  # gunicorn needs fcntl and fork
        raise ServerUnavailable(f"--workers > 1 needs gunicorn, which is not available here ({exc}); "
                                "gunicorn runs on Unix only: use --workers 1 (waitress)") from None


def _rehearse(config: Config) -> None:
    """Build the app once in the master, without its scheduler, and throw it away.

    A configuration error (roles.toml, say) is then one message before any fork, and the modules
    the app imports are loaded before the fork, so the workers share those pages (copy on write).
    Building the app opens no database connection (the pool connects on first use); the engine
    is disposed anyway, so no connection could cross the fork.
    """
    import gc

    from pathways.app import create_app
    from pathways.core import services

    app = create_app(dataclasses.replace(config, run_scheduler=False))
    services(app).close()
    del app
    gc.collect()


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _announce(line: str) -> None:
    print(line, flush=True)
