"""What the API tests share: the base URL, request bodies and the action bodies of each action."""

from __future__ import annotations

from hazards.models import Hazard
from tests.conftest import World, future_deadline

API = "/api/v1"


def hazard_url(hazard: Hazard, action: str = "") -> str:
    return f"{API}/hazards/{hazard.pk}/" + (f"{action}/" if action else "")


def create_body(world: World, **overrides) -> dict:
    body = {
        "region": world.hq_village.code,
        "sector": world.sector.code,
        "title": "消防通道堵塞",
        "description": "仓库北侧消防通道堆放杂物。",
        "category": "site_management",
        "factor": "management",
        "source": "routine",
        "address": "红旗区某仓库",
    }
    body.update(overrides)
    return body


ACTION_BODIES = {
    "assign": lambda w: {
        "unit": w.hq_unit.pk,
        "responsible_person": "李四",
        "requirements": "限期整改",
        "deadline": future_deadline().isoformat(),
    },
    "acknowledge": lambda w: {},
    "verify": lambda w: {"method": "on_site", "opinion": "同意销号"},
    "reject": lambda w: {"reason": "整改不到位"},
    "void": lambda w: {"reason": "重复登记"},
    "request-extension": lambda w: {"requested_deadline": future_deadline(40).isoformat(), "reason": "设备采购"},
    "list-supervision": lambda w: {
        "authority_level": "county",
        "requirements": "限期治理",
        "deadline": future_deadline(30).isoformat(),
    },
}
