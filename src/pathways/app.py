"""The Flask application factory: `create_app(config)`. It only assembles; nothing imports it but the
entry points (`server`, the CLI, the screenshot tool), and views reach the services through
`pathways.core.services(app)`."""

from __future__ import annotations

import atexit

from flask import Flask

from pathways.config import Config
from pathways.core import Pathways


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload_bytes
    pathways = Pathways(config)
    app.extensions["pathways"] = pathways

    from pathways import api

    api.init_app(app)
    from pathways import web

    web.init_app(app)
    if config.run_scheduler:
        from pathways.scheduler import TimerScheduler

        scheduler = TimerScheduler(pathways.engine, max_sleep=config.timer_max_sleep)
        scheduler.start()
        atexit.register(scheduler.shutdown)
        app.extensions["pathways_scheduler"] = scheduler
    return app
