"""Schemathesis fuzzes every operation of the OpenAPI document, in process against the WSGI app.

Valid (schema-conforming) and invalid requests are generated from /api/v1/openapi.json and sent
with a valid bearer token: a case worker's for most operations, the admin's (a designer) for the
definitions upload. Every response must be below 500 and conform to the documented schema. The
examples are derandomised, so a failure reproduces; the total is asserted to stay above 1,000.
"""

from __future__ import annotations

import contextlib
import math
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from pathways.core import services
from tests.e2e.api_fixtures import login

pytest_plugins = ["tests.e2e.api_fixtures"]

TOTAL = 1300
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
ADMIN_PATHS = ("/api/v1/definitions",)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not (op.method.upper() == "DELETE" and op.path == "/api/v1/auth/token")]
    only = os.environ.get("PATHWAYS_FUZZ_ONLY")  # a path prefix, to fuzz one resource while fixing it
    return [op for op in operations if not only or op.path.startswith(only)]


def test_fuzz_every_operation(api_app):
    client = api_app.test_client()
    tokens = {user: login(client, user) for user in ("anna.ops", "admin")}
    operations = _operations(api_app)
    assert operations
    per_operation = math.ceil(TOTAL / len(operations) / 2)  # two generation modes
    sent: dict[str, int] = {}
    spent: dict[str, float] = {}
    for operation in operations:
        user = "admin" if operation.method.upper() == "POST" and operation.path in ADMIN_PATHS else "anna.ops"
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        label = f"{operation.method.upper()} {operation.path}"
        started = time.perf_counter()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, headers, per_operation, sent, label)
        spent[label] = round(time.perf_counter() - started, 1)
    total = sum(sent.values())
    print(f"schemathesis sent {total} requests over {len(operations)} operations: {sent}; seconds: {spent}")
    assert total >= 1000 or os.environ.get("PATHWAYS_FUZZ_ONLY"), sent
    # the fuzzed app still answers, and its data is intact
    assert services(api_app).store is not None
    assert client.get("/api/v1/cases/1", headers={"Authorization": f"Bearer {tokens['anna.ops']}"}).status_code == 200


def _run(operation, mode, headers, examples, sent, label):
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        sent[label] = sent.get(label, 0) + 1
        case.validate_response(response, checks=CHECKS if mode == GenerationMode.POSITIVE
                               else [not_a_server_error])

    with contextlib.suppress(pytest.skip.Exception):  # an operation with nothing to generate in this mode
        run()
