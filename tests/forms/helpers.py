"""What the form tests share: URLs, the hidden fields of a drawn form, and a 交单 body."""

from __future__ import annotations

import re

from django.urls import reverse

from hazards.models import Hazard
from tests.conftest import future_deadline


def detail_url(hazard: Hazard) -> str:
    return reverse("hazards:detail", args=[hazard.pk])


def action_url(hazard: Hazard, slug: str) -> str:
    return reverse("hazards:action", args=[hazard.pk, slug])


def form_of(response, slug: str) -> dict[str, str]:
    """The hidden fields (version, form_token) of one action form as the page drew it."""
    html = response.content.decode()
    start = html.index(f'action="{reverse("hazards:action", args=[response.context["hazard"].pk, slug])}"')
    form = html[start : html.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def panel(response) -> list[str]:
    return re.findall(r'data-action="([a-z-]+)"', response.content.decode())


def post_action(client, hazard: Hazard, slug: str, **data):
    page = client.get(detail_url(hazard))
    return client.post(action_url(hazard, slug), {**form_of(page, slug), **data})


def assign_data(world, **overrides) -> dict:
    data = {
        "unit": world.hq_unit.pk,
        "responsible_person": "李四",
        "requirements": "立即整改，规范接地。",
        "deadline": future_deadline().isoformat(),
    }
    data.update(overrides)
    return data


def edit_url(hazard: Hazard) -> str:
    return reverse("hazards:edit", args=[hazard.pk])


def edit_form(response) -> dict:
    """Every field of the edit form as drawn (inputs, the chosen options, textareas)."""
    html = response.content.decode()
    data = dict(re.findall(r'<input type="(?:hidden|text|number|date)" name="([\w-]+)" value="([^"]*)"', html))
    data.update(re.findall(r'<textarea name="(\w+)"[^>]*>\s*([^<]*)</textarea>', html))
    regions = []
    for name, body in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected', body)
        if name == "region":
            regions += chosen
        elif chosen:
            data[name] = chosen[0]
    if regions:
        data["region"] = regions
    return data
