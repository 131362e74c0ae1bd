"""Schemathesis over the whole OpenAPI schema: no 5xx and no response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import ApiToken
from accounts.tokens import digest_of, token_issue


@pytest.fixture
def wsgi_app(settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # Requests run inside the test's transaction, as with Django's test client: keep the connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Revoking or rotating the token the run signs in with would leave every later operation a 401;
# tests/api/test_tokens.py covers both.
ENDS_THE_TOKEN = {("DELETE", "/api/v1/auth/token/"), ("POST", "/api/v1/auth/token/rotate/")}


@pytest.mark.parametrize("persona", ["hq_officer", "api_client"])
def test_every_operation_conforms_to_the_schema(world, wsgi_app, persona):
    cache.clear()
    world.listed(), world.assigned(), world.submitted(), world.listed_major()
    _, key = token_issue(user=getattr(world, persona))
    headers = {"Authorization": f"Token {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        if (operation.method.upper(), operation.path) in ENDS_THE_TOKEN:
            continue

        @hypothesis_settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def conforms(case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        conforms()
    assert ApiToken.objects.filter(digest=digest_of(key)).exists(), "the run's token was revoked on the way"
