"""Fixtures of the API tests: fresh throttle counters, and a client per demo persona."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counters live in the real Redis cache; each test starts with none.
    cache.clear()


@pytest.fixture
def api(world):
    def client_for(persona: str | None) -> APIClient:
        client = APIClient()
        if persona:
            client.force_authenticate(getattr(world, persona))
        return client

    return client_for
