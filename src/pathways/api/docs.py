"""The browsable API reference at /api/v1/docs: Swagger UI from the app's own files, no inline script.

flask-smorest's Swagger UI page configures Swagger UI in an inline `<script>`, which the
Content-Security-Policy (`pathways.http_security`) forbids. This page is the same Swagger UI,
started by a static initializer (`static/swagger-init.js`) that reads the document's URL and the
options from `data-` attributes.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template, url_for

bp = Blueprint("api_docs", __name__, template_folder="templates", static_folder="static",
               static_url_path="/docs/static")


@bp.get("/docs")
def swagger_ui() -> str:
    options = current_app.config.get("PATHWAYS_SWAGGER_UI_CONFIG", {})
    return render_template("api_docs.html", title=current_app.config["API_TITLE"],
                           spec_url=url_for("api-docs.openapi_json"), options=json.dumps(options))
