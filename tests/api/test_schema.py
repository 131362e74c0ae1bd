"""Schemathesis over the whole OpenAPI schema with every check it has: no 5xx, and every status code,
content type, header and body as the schema says (core/api/schema.py), valid data accepted and invalid
data refused, auth not ignored. ``make fuzz`` runs the same with ``FUZZ_EXAMPLES=100``."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

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

# A schema says which bodies are well formed, not which referenced records exist, which dates the rules
# allow or which password is right: a write may refuse well-formed data with a 400. Reads may not (every
# query parameter's bounds are in the schema), so the check holds for them, but for a ``cursor`` the run
# made up: a cursor is what a page's ``next`` hands out, and any other is a 400 (core/api/pagination.py).
# The one read with rules across its parameters and references checked as a 400: the statistics, whose
# ``sector`` must exist and whose ``found_after`` may not be later than ``found_before``.
ALWAYS_ACCEPTED = {"GET"}
# The 各地 / 各部门 tables have the same rule between their dates.
REFUSES_WELL_FORMED_READS = {
    "/api/v1/stats/closure/",
    "/api/v1/stats/tables/counties/",
    "/api/v1/stats/tables/departments/",
}

# Examples per operation and generation mode: a few in ``make test``, ``make fuzz`` asks for more.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("persona", ["hq_officer", "api_client"])
def test_every_operation_conforms_to_the_schema(world, wsgi_app, persona, mode):
    cache.clear()
    world.listed(), world.assigned(), world.submitted(), world.listed_major()
    _, key = token_issue(user=getattr(world, persona))
    headers = {"Authorization": f"Token {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = {}
    for operation in operations:
        if (operation.method.upper(), operation.path) in ENDS_THE_TOKEN:
            continue

        try:
            _fuzz(operation, mode, headers)
        except Unsatisfiable:
            # Nothing of the operation can be made invalid (no parameters, no body): no negative case.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as failure:  # every operation's failures, not only the first's
            failures[operation.label] = failure
    assert not failures, "\n\n".join(f"{label}:\n{failure}" for label, failure in failures.items())
    assert ApiToken.objects.filter(digest=digest_of(key)).exists(), "the run's token was revoked on the way"


def _fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    method = operation.method.upper()

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def conforms(case) -> None:
        accepted = (
            method in ALWAYS_ACCEPTED
            and operation.path not in REFUSES_WELL_FORMED_READS
            and "cursor" not in (case.query or {})
        )
        excluded = [] if accepted else [positive_data_acceptance]
        case.call_and_validate(headers=headers, excluded_checks=excluded)  # every other check it has

    conforms()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_the_schema_says_what_the_shared_machinery_answers(api, world):
    schema = api("hq_officer").get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        label = f"{method} {path}"
        if path != "/api/v1/auth/token/" or method != "POST":
            assert "401" in codes, label
        assert operation["responses"]["429"]["headers"]["Retry-After"]["required"], label
        if "{" in path:
            assert "404" in codes, label
        if "requestBody" in operation:
            assert {"400", "415"} <= codes, label
            for content in operation["requestBody"]["content"].values():
                name = content["schema"]["$ref"].rsplit("/", 1)[1]
                assert components[name]["additionalProperties"] is False, label  # StrictSerializer
        if method != "GET" and path.startswith(("/api/v1/hazards/", "/api/v1/inspections/", "/api/v1/extensions/")):
            assert "403" in codes, label  # a read-only role
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in codes, label
    assert components["Attachment"]["properties"]["file"]["format"] == "uri"
    assert components["Job"]["properties"]["result_url"]["format"] == "uri"


def test_token_views_that_refuse_no_role_promise_no_403(api, world):
    schema = api("hq_officer").get("/api/v1/schema/", {"format": "json"}).json()
    assert "403" not in schema["paths"]["/api/v1/auth/token/rotate/"]["post"]["responses"]
    assert "401" not in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


def test_list_parameters_carry_the_bounds_of_their_filters(api, world):
    schema = api("hq_officer").get("/api/v1/schema/", {"format": "json"}).json()
    hazards = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/hazards/"]["get"]["parameters"]}
    assert hazards["region"]["maxLength"] == 12 and hazards["region"]["minLength"] == 1
    assert hazards["unit"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert hazards["overdue"]["type"] == "boolean"
    assert hazards["found_after"]["pattern"] == hazards["deadline_before"]["pattern"]
    regions = {p["name"]: p for p in schema["paths"]["/api/v1/regions/"]["get"]["parameters"]}
    assert "village" in regions["level"]["schema"]["enum"]
    assert regions["parent"]["description"].startswith("上级区划代码")  # the view's own words kept
