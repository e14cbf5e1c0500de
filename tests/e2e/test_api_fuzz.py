"""Schemathesis fuzzes every operation of the OpenAPI document, in process against the WSGI app.

Valid (schema-conforming) and invalid requests are generated from /api/v1/openapi.json and sent
with a valid bearer token: a case worker's for most operations, the admin's (a designer) for the
definitions upload. Every response must be below 500 and conform to the documented schema. The
examples are derandomised, so a failure reproduces; the total is asserted to stay above 1,000.
Both run on SQLite and on PostgreSQL (`any_app`): PostgreSQL refuses text SQLite keeps (NUL).

`test_fuzz_input_bounds` sends schema-valid requests with one part poisoned (docs/security.md,
"Input bounds"): a NUL in a query parameter, a path parameter or a JSON string or key, an
unpaired surrogate in JSON, or a JSON value nested beyond the depth bound. Each must answer
400 `invalid_data` (never 5xx, never accepted). `PATHWAYS_FUZZ_EXAMPLES` raises its per-operation
budget for a longer run.
"""

from __future__ import annotations

import contextlib
import math
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from pathways.core import services
from tests.e2e.api_fixtures import _template_db, any_app, api_app, login, pg_app  # noqa: F401 - fixtures

TOTAL = 1300
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
ADMIN_PATHS = ("/api/v1/definitions",)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not (op.method.upper() == "DELETE" and op.path == "/api/v1/auth/token")]
    only = os.environ.get("PATHWAYS_FUZZ_ONLY")  # a path prefix, to fuzz one resource while fixing it
    return [op for op in operations if not only or op.path.startswith(only)]


def test_fuzz_every_operation(any_app):  # noqa: F811 - fixture
    client = any_app.test_client()
    tokens = {user: login(client, user) for user in ("anna.ops", "admin")}
    operations = _operations(any_app)
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
    assert services(any_app).store is not None
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


# -- poisoned requests: NUL, surrogates, deep nesting -------------------------------------------------
POISON_EXAMPLES = int(os.environ.get("PATHWAYS_FUZZ_EXAMPLES", "40"))
NUL_TEXTS = st.sampled_from(["\x00", "a\x00", "\x00b\x00", "BEN-\x00-1", "%\x00"])
JSON_TEXTS = st.one_of(NUL_TEXTS, st.sampled_from(["\ud800", "x\udfff", "\udc00y", "\ud83d"]))
PLACES = ("query", "path", "json_value", "json_key", "json_deep")


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value] if depth % 2 else {"k": value}
    return value


def _set(case, part: str, value: object) -> None:
    """Replace a part of a generated case without schemathesis re-validating it (it cannot encode a surrogate)."""
    object.__setattr__(case, part, value)


def _poison(case, place: str, text: str, depth: int, pick: int) -> str | None:
    """Put `text` (or a value `depth` levels deep) in one part of `case`; the part poisoned, or None."""
    in_address = not any(0xD800 <= ord(c) < 0xE000 for c in text)  # an address cannot carry a surrogate
    if place == "query" and in_address:
        name = sorted(case.query)[pick % len(case.query)] if case.query else "q"
        _set(case, "query", {**case.query, name: text})
        return f"query {name}"
    if place == "path" and case.path_parameters and in_address:
        name = sorted(case.path_parameters)[pick % len(case.path_parameters)]
        _set(case, "path_parameters", {**case.path_parameters, name: text})
        return f"path {name}"
    if not isinstance(case.body, dict) or case.media_type != "application/json":
        return None
    body = dict(case.body)
    name = sorted(body)[pick % len(body)] if body else "data"
    if place == "json_value":
        body[name] = text
    elif place == "json_key":
        body[name] = {text: 1} if isinstance(body.get(name), dict) else text
        body[text] = "x"
    else:
        body[name] = _nested(depth)
    _set(case, "body", body)
    return f"body {name} ({place})"


def test_fuzz_input_bounds(any_app):  # noqa: F811 - fixture
    client = any_app.test_client()
    tokens = {user: login(client, user) for user in ("anna.ops", "admin")}
    operations = _operations(any_app)
    sent: dict[str, int] = {}
    refused: dict[str, int] = {}
    started = time.perf_counter()
    for operation in operations:
        user = "admin" if operation.method.upper() == "POST" and operation.path in ADMIN_PATHS else "anna.ops"
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        label = f"{operation.method.upper()} {operation.path}"
        _poisoned_run(operation, headers, sent, refused, label)
    total = sum(sent.values())
    print(f"poisoned fuzz: {total} requests, {sum(refused.values())} poisoned and refused with 400, "
          f"0 with 5xx, over {len(operations)} operations in {time.perf_counter() - started:.0f} s: {sent}")
    assert total >= 10 * len(operations) or os.environ.get("PATHWAYS_FUZZ_ONLY"), sent
    assert sum(refused.values()) >= total // 2, (refused, sent)


def _poisoned_run(operation, headers, sent, refused, label):
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)

    @settings(max_examples=POISON_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy, place=st.sampled_from(PLACES), text=JSON_TEXTS,
           depth=st.sampled_from([33, 64, 200, 500]), pick=st.integers(0, 50))
    def run(case, place, text, depth, pick):
        poisoned = _poison(case, place, text, depth, pick)
        response = case.call(headers=headers)
        sent[label] = sent.get(label, 0) + 1
        assert response.status_code < 500, (label, poisoned, response.status_code, response.text[:300])
        if poisoned is not None:
            body = response.json()
            assert response.status_code == 400 and body["code"] == "invalid_data", (label, poisoned, body)
            assert "\\u0000" not in response.text and "\\ud8" not in response.text.lower()
            refused[label] = refused.get(label, 0) + 1

    with contextlib.suppress(pytest.skip.Exception):  # an operation with nothing to generate
        run()
