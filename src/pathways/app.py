"""The Flask application factory: `create_app(config)`. It only assembles; nothing imports it but the
entry points (`server`, the CLI, the screenshot tool), and views reach the services through
`pathways.core.services(app)`."""

from __future__ import annotations

import atexit

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from pathways import http_security
from pathways.config import Config, require_data_keys, require_secret_key
from pathways.core import Pathways
from pathways.engine.errors import PathwaysError


def create_app(config: Config | None = None) -> Flask:
    """The app of `config` (default: the environment); InsecureConfig without a strong secret key."""
    config = config or Config()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = require_secret_key(config.secret_key)
    http_security.init_app(app, config)
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload_bytes
    pathways = Pathways(config)
    require_data_keys()
    app.extensions["pathways"] = pathways

    from pathways import api, limits

    limits.init_app(app)
    api.init_app(app)
    from pathways import web

    web.init_app(app)
    _route_errors(app)
    if config.run_scheduler:
        from pathways.scheduler import TimerScheduler

        scheduler = TimerScheduler(pathways.engine, max_sleep=config.timer_max_sleep,
                                   housekeeping=pathways.housekeeping())
        scheduler.start()
        atexit.register(scheduler.shutdown)
        app.extensions["pathways_scheduler"] = scheduler
    return app


def _route_errors(app: Flask) -> None:
    """Errors of API paths answer the API's JSON shape, every other path an HTML page.

    One handler per class, app-wide, so an unknown address or a 405 (raised before any blueprint
    is chosen) is answered like the rest of its side; blueprints may still register their own
    (the designer's 413).
    """
    from pathways import api
    from pathways.api import errors as api_errors
    from pathways.web import errors as web_errors

    def answer(error: BaseException) -> Response | tuple[str, int]:
        if request.path == api.PREFIX or request.path.startswith(api.PREFIX + "/"):
            return api_errors.handle(error)
        return web_errors.handle(error)

    for cls in (PathwaysError, HTTPException, Exception):
        app.register_error_handler(cls, answer)
