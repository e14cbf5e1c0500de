"""The designer's page to try a decision: its table, a form of its inputs, and the rules that matched.

Designers and admins only, as the API's `POST /api/v1/decisions/<key>/evaluate`, through the same
service (`pathways.tasks.decisions`). Each input is typed as a JSON value (`true`, `3.5`, `"text"`,
`["a", "b"]`); anything that is not JSON is taken as text, and an empty field is left out (null).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, g, render_template, request

from pathways.core import services
from pathways.tasks import decisions
from pathways.web.cases import HELPERS
from pathways.web.designer import version_arg
from pathways.web.session import bp, login_required

MAX_INPUTS = 200


@bp.route("/designer/<string:key>/decisions/<string:decision>", methods=["GET", "POST"],
          endpoint="designer_decision")
@login_required
def decision(key: str, decision: str) -> str:
    store = services(current_app).store
    sheet = decisions.decision_sheet(store, g.user, key, decision, version_arg())
    typed = {name: request.form.get(f"in_{name}", "") for name in sheet["inputs"][:MAX_INPUTS]}
    trial = None
    if request.method == "POST":
        inputs = {name: _value(text) for name, text in typed.items() if text.strip()}
        _number, trial = decisions.try_decision(store, g.user, key, decision, inputs, sheet["version"])
    matched = {n for hit in (trial.hits if trial else []) if hit["decision"] == sheet["id"] for n in hit["rules"]}
    return render_template("designer_decision.html", s=sheet, typed=typed, trial=trial, matched=matched,
                           dumps=_dumps, **HELPERS)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
