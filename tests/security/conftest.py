"""The security tests use the HTTP API's fixtures (an app with workflows/ and the demo data)."""

from tests.e2e.api_fixtures import _template_db, any_app, api_app, bearer, client, pg_app, token  # noqa: F401
