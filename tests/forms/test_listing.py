"""登记隐患 (列单) through its form: the deepest region, photos, a unit's own hazard."""

from __future__ import annotations

import re

from django.urls import reverse

from hazards.choices import AttachmentPhase, Status
from hazards.models import Hazard
from tests.conftest import future_deadline, png_upload
from tests.forms.helpers import detail_url

# --- 列单 ----------------------------------------------------------------------------------------------


def test_listing_a_hazard_through_the_form_takes_the_deepest_region_and_photos(as_user, world):
    client = as_user(world.hq_officer)
    assert client.get(reverse("hazards:new")).status_code == 200
    response = client.post(reverse("hazards:new"), world.listing_form(photos=[png_upload(), png_upload("b.png")]))
    hazard = Hazard.objects.get()
    assert response["Location"] == detail_url(hazard)
    assert hazard.region == world.hq_township and hazard.status == Status.LISTED
    assert hazard.attachments.filter(phase=AttachmentPhase.FOUND).count() == 2


def test_listing_twice_with_the_same_form_creates_one_hazard(as_user, world):
    client = as_user(world.hq_officer)
    data = world.listing_form()
    first, second = client.post(reverse("hazards:new"), data), client.post(reverse("hazards:new"), data)
    assert first["Location"] == second["Location"]
    assert Hazard.objects.count() == 1


def test_a_major_hazard_needs_its_standard_and_item(as_user, world):
    response = as_user(world.hq_officer).post(reverse("hazards:new"), world.listing_form(level="major"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "重大事故隐患须写明判定标准。" in html and "请填写所符合的判定条款。" in html
    assert Hazard.objects.count() == 0


def test_a_region_outside_the_jurisdiction_is_refused(as_user, world):
    response = as_user(world.hq_officer).post(reverse("hazards:new"), world.listing_form(region=[world.weibin.code]))
    assert response.status_code == 400
    assert "所选区划不在您的辖区内。" in response.content.decode()


def test_listing_errors_keep_photos_and_typed_text(as_user, world):
    client = as_user(world.hq_officer)
    response = client.post(reverse("hazards:new"), world.listing_form(title="", photos=png_upload("scene.png")))
    html = response.content.decode()
    assert response.status_code == 400 and "车间东侧配电箱外壳未接地。" in html and "已保留：scene.png" in html
    staged = re.findall(r'name="staged" value="([^"]+)"', html)
    client.post(reverse("hazards:new"), world.listing_form(form_token="new-2", staged=staged))
    assert Hazard.objects.get().attachments.get().original_name == "scene.png"


def test_a_unit_contact_self_reports_with_person_and_deadline(as_user, world):
    client = as_user(world.unit_demo)
    data = world.listing_form(
        region=[world.hq_village.code],
        source="self_check",
        responsible_person="王五",
        deadline=future_deadline().isoformat(),
    )
    client.post(reverse("hazards:new"), data)
    hazard = Hazard.objects.get()
    assert hazard.status == Status.RECTIFYING and hazard.responsible_unit == world.hq_unit


def test_supervisors_cannot_open_the_listing_form(as_user, world):
    assert as_user(world.hq_supervisor).get(reverse("hazards:new")).status_code == 403


def test_category_and_factor_start_unchosen_and_must_be_chosen(as_user, world):
    client = as_user(world.hq_officer)
    html = client.get(reverse("hazards:new")).content.decode()
    for name in ("category", "factor"):
        select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
        assert "selected" in re.search(r'<option value=""[^>]*>', select).group(0)
    before = Hazard.objects.count()
    response = client.post(reverse("hazards:new"), world.listing_form(category="", factor=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="error-category"' in page and 'data-testid="error-factor"' in page
    assert Hazard.objects.count() == before
