"""Reports for supervisors and administrators: the figures as JSON, CSV or XLSX.

    GET /api/v1/reports                   the figures there are
    GET /api/v1/reports/{figure}          ?pathway&agency&from&to&format=json|csv|xlsx&lang=en|pl

Only cases the user's agency takes part in are counted; each read is audited (`report.read`).
Every number in JSON comes with `links`: the case filter that selects the cases behind it
(docs/reports.md).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app

from pathways import reports
from pathways.api import Blueprint
from pathways.api.auth import current_user, role_required
from pathways.core import services
from pathways.reports.export import CONTENT_TYPES, FORMATS, filename, render
from pathways.reports.labels import LANGUAGES, translate

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Figures for supervisors: stages, funnel, times, tasks, hours, benefits, outcomes, ESF.")


#: the files `format=csv|xlsx` answers, beside the JSON figure (a Content-Disposition names them)
EXPORTS = {
    CONTENT_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
    CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
}


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ReportQuerySchema(StrictSchema):
    pathway = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "a pathway key"})
    agency = ma.fields.String(validate=ma.validate.Length(max=64),
                              metadata={"description": "an agency code: only cases it takes part in"})
    date_from = ma.fields.Date(data_key="from", metadata={"description": "first day of the period (YYYY-MM-DD)"})
    date_to = ma.fields.Date(data_key="to", metadata={"description": "last day of the period (YYYY-MM-DD)"})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(FORMATS))
    lang = ma.fields.String(load_default="en", validate=ma.validate.OneOf(LANGUAGES),
                            metadata={"description": "language of titles, labels and names"})


class ColumnSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    type = ma.fields.String()
    counts_cases = ma.fields.Boolean()


class FigureSchema(ma.Schema):
    figure = ma.fields.String()
    title = ma.fields.String()
    scope = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))
    columns = ma.fields.List(ma.fields.Nested(ColumnSchema))
    rows = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "values by column key, and `links`: column key -> query parameters of the cases behind it"})
    totals = ma.fields.Dict()


class FigureNameSchema(ma.Schema):
    figure = ma.fields.String()
    title = ma.fields.String()


@blp.route("", methods=["GET"])
@role_required(*reports.REPORT_ROLES)
@blp.response(200, FigureNameSchema(many=True))
def list_figures() -> list[dict[str, str]]:
    """The figures there are (names to use in the path)."""
    return [{"figure": name, "title": title} for name, title in reports.titles().items()]


@blp.route("/<string:figure>", methods=["GET"])
@role_required(*reports.REPORT_ROLES)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, FigureSchema)
@blp.doc(responses={"200": {  # flask-smorest documents one content type per response: all three here
    "description": "The figure as JSON, or with `format=csv|xlsx` a file to save (Content-Disposition)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Figure"}}, **EXPORTS}}})
@blp.alt_response(404, description="No such figure")
def get_figure(args: dict[str, Any], figure: str) -> Any:
    """One figure for a pathway (or all), an agency (or all) and a period; `format=csv|xlsx` for a file."""
    pathways = services(current_app)
    scope = reports.Scope(args.get("pathway"), args.get("agency"), args.get("date_from"), args.get("date_to"))
    found = reports.build(pathways.store, pathways.engine, current_user(), [figure], scope, args["lang"],
                          export=args["format"])[figure]
    if args["format"] == "json":
        return found.as_json()
    name = filename(found, args["format"])
    return Response(render(found, args["format"]), content_type=CONTENT_TYPES[args["format"]],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Report-Title": translate(found.title, "en")})
