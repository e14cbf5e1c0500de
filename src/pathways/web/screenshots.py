"""Screenshots of every page at 1366x768, taken in headless Chromium on a fresh demo database.

    .venv/bin/python -m pathways.web.screenshots [--out docs/screenshots] [--only inbox task_error]
    make screenshots

The app runs with waitress on a free loopback port in a thread (`serve`), against a new SQLite
file seeded like `pathways demo`; Playwright drives Debian's Chromium (`find_chromium`, never a
downloaded browser). The browser tests (tests/e2e/test_browser.py) use the same helpers.

A page is added by appending one `Shot` to `SHOTS`: a name (the PNG's), the demo user who signs
in, the path (`{task}` is the first open task of a demo case's intake step, `{case}` the demo case
furthest along), the endpoint that must exist for the shot to be taken, and optionally what to do
on the page before the picture. Shots whose endpoint the app does not serve are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from pathways.app import create_app
from pathways.config import Config
from pathways.core import services
from pathways.demo import PASSWORD, load_demo
from pathways.engine.errors import InvalidDefinition
from pathways.store.models import Case, HumanTask

ROOT = Path(__file__).resolve().parents[3]
SIZE = {"width": 1366, "height": 768}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


# -- the app, served on loopback -----------------------------------------------------------------
def workflows_dir() -> Path:
    configured = Path(os.environ.get("PATHWAYS_WORKFLOWS_DIR", "workflows"))
    return configured if configured.is_dir() else ROOT / "workflows"


def demo_app(database: Path, workflows: Path | None = None) -> Flask:
    """An app on a new SQLite file with workflows/ deployed and the demo data loaded."""
    app = create_app(Config(database_url=f"sqlite:///{database}", workflows_dir=workflows or workflows_dir(),
                            run_scheduler=False, secret_key=secrets.token_urlsafe(32),
                            secure_cookies=False))
    pathways = services(app)
    pathways.upgrade_db()
    try:
        pathways.deploy()
    except InvalidDefinition:  # a pathway being written does not lint yet: deploy the others
        for path in sorted(pathways.config.workflows_dir.glob("*.bpmn")):
            with contextlib.suppress(InvalidDefinition):
                pathways.deploy([path, *pathways.config.workflows_dir.glob("*.dmn")])
    load_demo(pathways.store, pathways.engine)
    return app


@contextlib.contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve the app with waitress on 127.0.0.1 (a free port) in a thread; yields the base URL.

    The thread polls in short rounds and checks a flag between them, so the sockets are closed
    only after it stopped (closing them under a running poll fails with EBADF).
    """
    from waitress import wasyncore
    from waitress.server import create_server

    server: Any = create_server(app, host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)


# -- the browser ---------------------------------------------------------------------------------
def find_chromium() -> str | None:
    """Debian's Chromium (or PATHWAYS_CHROMIUM), or None."""
    for candidate in (os.environ.get("PATHWAYS_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def launch(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()


# -- the pages -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shot:
    name: str
    user: str | None  # None: not signed in
    path: str
    endpoint: str
    act: Callable[[Any], None] | None = None
    full_page: bool = False  # the whole page, not only the first 768 pixels


def _task_with_errors(page: Any) -> None:
    """The intake form sent with the required date left empty: the message beside the field."""
    page.select_option("#in-risk_level", "high")
    page.fill("#in-notes", "Zgłoszenie telefoniczne z punktu konsultacyjnego")
    page.fill("#in-intake_date", "")
    page.click(".task-form button.primary")
    page.wait_for_load_state()


SHOTS: list[Shot] = [
    Shot("login", None, "/login", "web.login"),
    Shot("inbox", "anna.ops", "/inbox", "web.inbox"),
    Shot("inbox_ngo", "marek.ngo", "/inbox", "web.inbox"),  # a due date and a high priority
    Shot("task", "piotr.ops", "/tasks/{psych_task}", "web.task"),
    Shot("task_error", "anna.ops", "/tasks/{task}", "web.task", _task_with_errors, full_page=True),
    Shot("cases", "anna.ops", "/cases", "web.cases"),
    Shot("case", "anna.ops", "/cases/{case}", "web.case"),
    Shot("designer", "admin", "/designer", "web.designer"),
    Shot("supervisor", "teresa.sup", "/supervisor", "web.supervisor"),
]


def demo_ids(app: Flask) -> dict[str, str]:
    """The ids the shots' paths name: an intake task, the psychologist's task, the case furthest along."""
    with services(app).store.unit_of_work(write=False) as uow:
        s = uow.session

        def first_task(element: str) -> str:
            return str(s.scalars(select(HumanTask.id).where(HumanTask.element_id == element,
                                                            HumanTask.status == "open")
                                 .order_by(HumanTask.case_id)).first() or "")

        case = s.scalars(select(HumanTask.case_id).where(HumanTask.status == "completed")
                         .order_by(HumanTask.case_id)).first() or s.scalars(select(Case.id)).first()
        return {"task": first_task("identify"), "psych_task": first_task("psych_diagnosis"), "case": str(case)}


def take(app: Flask, out: Path, only: list[str] | None = None, browser: Any = None) -> list[Path]:
    """Take the shots (those whose endpoint exists, or the `only` ones); returns the files written.

    Uses `browser` (a Playwright browser) when given, else launches Chromium for the run.
    """
    if browser is None:
        from playwright.sync_api import sync_playwright

        executable = find_chromium()
        if executable is None:
            raise SystemExit("no Chromium found: apt-get install chromium (or set PATHWAYS_CHROMIUM)")
        with sync_playwright() as playwright:
            launched = launch(playwright, executable)
            try:
                return take(app, out, only, launched)
            finally:
                launched.close()
    out.mkdir(parents=True, exist_ok=True)
    ids = demo_ids(app)
    written = []
    with serve(app) as base:
        for shot in SHOTS:
            if (only and shot.name not in only) or shot.endpoint not in app.view_functions:
                continue
            context = browser.new_context(viewport=SIZE, locale="pl-PL", timezone_id="Europe/Warsaw")
            page = context.new_page()
            if shot.user:
                sign_in(page, base, shot.user)
            page.goto(base + shot.path.format(**ids))
            if shot.act:
                shot.act(page)
            target = out / f"{shot.name}.png"
            page.screenshot(path=str(target), full_page=shot.full_page)
            written.append(target)
            context.close()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app = demo_app(Path(tmp) / "screenshots.db")
        try:
            for path in take(app, args.out, args.only):
                print(path)
        finally:
            services(app).close()


if __name__ == "__main__":
    main(sys.argv[1:])
