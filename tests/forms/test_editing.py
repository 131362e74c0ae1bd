"""修改信息: correcting a hazard while its status allows it."""

from __future__ import annotations

import re

from hazards import services
from hazards.choices import Action
from hazards.models import Hazard
from tests.forms.helpers import detail_url, edit_form, edit_url


def test_an_officer_corrects_a_listed_hazard_and_the_timeline_keeps_both_values(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    assert 'data-testid="edit-link"' in client.get(detail_url(hazard)).content.decode()
    data = {**edit_form(client.get(edit_url(hazard))), "title": "配电箱接地线断开"}
    assert client.post(edit_url(hazard), data)["Location"] == detail_url(hazard)
    hazard.refresh_from_db()
    assert hazard.title == "配电箱接地线断开" and hazard.region == world.hq_village
    event = hazard.events.get(action=Action.UPDATE)
    assert event.changes == {"title": ["配电箱未接地", "配电箱接地线断开"]}


def test_only_the_plan_of_a_major_hazard_is_editable_once_handed_over(as_user, world):
    major = world.assigned(world.listed_major())
    page = as_user(world.hq_supervisor).get(edit_url(major))
    names = set(re.findall(r'name="(\w+)"', page.content.decode())) - {"csrfmiddlewaretoken", "form_token", "version"}
    assert "plan_measures" in names and "title" not in names and "region" not in names
    assert as_user(world.hq_officer).get(edit_url(world.assigned())).status_code == 403


def test_edit_errors_are_chinese_and_nothing_changes(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    data = {**edit_form(client.get(edit_url(hazard))), "level": "major"}
    response = client.post(edit_url(hazard), data)
    assert response.status_code == 400
    assert "重大事故隐患须写明判定标准及条款。" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.level == "general"


def test_a_stale_edit_is_refused_and_a_second_submit_is_deliberate(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    data = {**edit_form(client.get(edit_url(hazard))), "address": "3 号车间北侧"}
    services.hazard_update(hazard=hazard, by=world.hq_supervisor, changes={"title": "配电箱接地线断开"})
    stale = client.post(edit_url(hazard), data)
    assert stale.status_code == 409 and "该隐患已被他人修改，您的修改未保存。" in stale.content.decode()
    assert Hazard.objects.get(pk=hazard.pk).address != "3 号车间北侧"
    again = {**edit_form(stale), "form_token": "second"}
    assert again["address"] == "3 号车间北侧"
    # Sent again after the warning, what this user changed is saved, and only that: the title the
    # other person corrected is not written back with the old value this form was drawn with.
    assert client.post(edit_url(hazard), again).status_code == 302
    saved = Hazard.objects.get(pk=hazard.pk)
    assert saved.address == "3 号车间北侧" and saved.title == "配电箱接地线断开"


def test_outsiders_get_404_on_the_edit_page(as_user, world):
    assert as_user(world.wb_officer).get(edit_url(world.listed())).status_code == 404
