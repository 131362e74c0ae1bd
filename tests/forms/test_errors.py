"""Form errors in Chinese next to the field, input and photos kept, a second submit or a stale form
changing nothing, outsiders getting 404, and nothing lost or silent when something goes wrong."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from hazards import services
from hazards.choices import Action, AttachmentPhase, ExtensionStatus, Status
from hazards.models import Hazard, HazardEvent
from tests.conftest import png_claiming, png_upload
from tests.forms.helpers import action_url, assign_data, detail_url, form_of, post_action

# --- errors: in Chinese, next to the field, nothing lost -------------------------------------------


def test_errors_are_chinese_next_to_the_field_and_keep_the_input(as_user, world):
    hazard = world.listed()
    response = post_action(
        as_user(world.hq_officer), hazard, "assign", **assign_data(world, responsible_person="", deadline="2020-01-01")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-responsible_person"' in html and "该字段是必填项。" in html
    assert "立即整改，规范接地。" in html  # the requirements typed are still there
    assert re.search(r"<details[^>]*data-action=\"assign\" open", html)
    hazard.refresh_from_db()
    assert hazard.status == Status.LISTED


def test_a_service_rule_is_shown_next_to_its_field(as_user, world):
    hazard = world.listed()
    response = post_action(as_user(world.hq_officer), hazard, "assign", **assign_data(world, deadline="2020-01-01"))
    assert response.status_code == 400
    assert re.search(r'data-testid="error-deadline">期限不能早于今天。', response.content.decode())


def test_a_unit_outside_the_jurisdiction_is_refused(as_user, world):
    hazard = world.listed()
    response = post_action(as_user(world.hq_officer), hazard, "assign", **assign_data(world, unit=world.wb_unit.pk))
    assert "所选责任单位不在您的辖区内或已停用。" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.responsible_unit is None


def test_a_fake_photo_is_refused_in_chinese(as_user, world):
    hazard = world.rectifying()
    fake = SimpleUploadedFile("evil.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = post_action(
        as_user(world.unit_demo),
        hazard,
        "submit",
        measures="已整改。",
        completed_on=timezone.localdate().isoformat(),
        photos=fake,
    )
    assert response.status_code == 400
    assert "不是 JPEG、PNG、WebP 图片或 PDF 文件" in response.content.decode()
    assert hazard.attachments.count() == 0


def test_a_photo_survives_a_validation_error_and_is_used_on_the_next_submit(as_user, world):
    hazard = world.rectifying()
    client = as_user(world.unit_demo)
    first = post_action(client, hazard, "submit", measures="", completed_on="", photos=png_upload("after.png"))
    assert first.status_code == 400
    staged = re.findall(r'name="staged" value="([^"]+)"', first.content.decode())
    assert len(staged) == 1 and "已保留：after.png" in first.content.decode()
    second = client.post(
        action_url(hazard, "submit"),
        {
            **form_of(first, "submit"),
            "staged": staged,
            "measures": "已整改。",
            "completed_on": timezone.localdate().isoformat(),
        },
    )
    assert second.status_code == 302
    (attachment,) = hazard.attachments.filter(phase=AttachmentPhase.RECTIFIED)
    assert attachment.original_name == "after.png" and attachment.content_type == "image/png"


def test_someone_elses_staged_file_cannot_be_borrowed(as_user, world):
    other = world.listed()
    officer = as_user(world.hq_officer)
    page = officer.get(detail_url(other))
    failed = officer.post(action_url(other, "submit"), {**form_of(page, "submit"), "photos": png_upload("mine.png")})
    (reference,) = re.findall(r'name="staged" value="([^"]+)"', failed.content.decode())
    hazard = world.rectifying()
    response = post_action(
        as_user(world.unit_demo),
        hazard,
        "submit",
        measures="已整改。",
        completed_on=timezone.localdate().isoformat(),
        staged=[reference, f"../{world.hq_officer.pk}/{reference}", "/etc/passwd"],
    )
    assert response.status_code == 400
    assert "请上传整改后的照片。" in response.content.decode()
    assert hazard.attachments.count() == 0


# --- twice, stale, outsiders ----------------------------------------------------------------------


def test_a_second_submit_of_the_same_form_does_nothing_twice(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    page = client.get(detail_url(hazard))
    data = {**form_of(page, "assign"), **assign_data(world)}
    first = client.post(action_url(hazard, "assign"), data)
    second = client.post(action_url(hazard, "assign"), data)
    assert first["Location"] == second["Location"] == detail_url(hazard)
    assert HazardEvent.objects.filter(hazard=hazard, action=Action.ASSIGN).count() == 1
    assert "这份表单已经提交过，没有重复办理。" in client.get(detail_url(hazard)).content.decode()


def test_a_stale_form_says_so_instead_of_overwriting(as_user, world):
    hazard = world.submitted()
    client = as_user(world.hq_supervisor)
    page = client.get(detail_url(hazard))
    stale = form_of(page, "reject")
    services.hazard_verify(hazard=hazard, by=world.hq_supervisor, method="on_site", opinion="已由同事验收。")
    response = client.post(action_url(hazard, "reject"), {**stale, "reason": "照片不清楚。"})
    assert response.status_code == 409
    assert "该隐患已被他人处理（当前状态：已销号）" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == Status.CLOSED
    assert not HazardEvent.objects.filter(hazard=hazard, action=Action.REJECT).exists()


def test_a_stale_form_still_possible_keeps_the_text_and_takes_the_new_version(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    stale = form_of(client.get(detail_url(hazard)), "assign")
    services.hazard_update(hazard=hazard, by=world.hq_supervisor, changes={"title": "配电箱接地线断开"})
    response = client.post(action_url(hazard, "assign"), {**stale, **assign_data(world)})
    assert response.status_code == 409
    html = response.content.decode()
    assert "立即整改，规范接地。" in html and "配电箱接地线断开" in html
    fresh = form_of(response, "assign")
    assert int(fresh["version"]) == Hazard.objects.get(pk=hazard.pk).version
    assert client.post(action_url(hazard, "assign"), {**fresh, **assign_data(world)}).status_code == 302


@pytest.mark.parametrize("slug", ["assign", "acknowledge", "submit", "verify", "reject", "void", "list-supervision"])
def test_outsiders_get_404_on_every_action(as_user, world, slug):
    hazard = world.listed()
    response = as_user(world.wb_officer).post(action_url(hazard, slug), {"version": hazard.version, "form_token": "x"})
    assert response.status_code == 404


def test_an_action_the_role_may_not_take_changes_nothing(as_user, world):
    hazard = world.submitted()
    response = as_user(world.unit_demo).post(
        action_url(hazard, "verify"),
        {"version": hazard.version, "form_token": "t1", "method": "on_site", "opinion": "x"},
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == Status.SUBMITTED
    page = as_user(world.unit_demo).get(detail_url(hazard)).content.decode()
    assert re.search(r'class="alert alert-danger">您的角色无权执行此操作。<', page)


def test_an_unknown_action_is_404_and_get_is_not_allowed(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    assert client.post(action_url(hazard, "explode"), {}).status_code == 404
    assert client.get(action_url(hazard, "assign")).status_code == 405


# --- review findings: nothing lost, nothing silent -------------------------------------------------


def test_a_stale_submit_keeps_the_photos_it_carried(as_user, world):
    hazard = world.rectifying(world.listed_major())
    client = as_user(world.unit_demo)
    stale = form_of(client.get(detail_url(hazard)), "submit")
    services.hazard_update(hazard=hazard, by=world.hq_officer, changes={"plan_measures": "加装泄爆片"})
    response = client.post(
        action_url(hazard, "submit"),
        {
            **stale,
            "measures": "已整改。",
            "completed_on": timezone.localdate().isoformat(),
            "photos": png_upload("a.png"),
        },
    )
    assert response.status_code == 409
    assert "已保留：a.png" in response.content.decode()


def test_a_refused_photo_is_named_when_another_field_is_wrong(as_user, world):
    fake = SimpleUploadedFile("scan.jpg", b"not an image at all", content_type="image/jpeg")
    response = as_user(world.hq_officer).post(reverse("hazards:new"), world.listing_form(title="", photos=[fake]))
    assert response.status_code == 400
    assert "文件“scan.jpg”不是 JPEG、PNG、WebP 图片或 PDF 文件。" in response.content.decode()


def test_a_decision_on_an_extension_someone_else_decided_is_not_silent(as_user, world):
    hazard = world.rectifying()
    later = hazard.deadline + timezone.timedelta(days=10)
    services.extension_request(hazard=hazard, by=world.unit_demo, requested_deadline=later, reason="设备到货延迟。")
    client = as_user(world.hq_supervisor)
    page = form_of(client.get(detail_url(hazard)), "decide-extension")
    services.extension_decide(extension=hazard.extension_requests.get(), by=world.hq_supervisor, approve=True)
    response = client.post(action_url(hazard, "decide-extension"), {**page, "approve": "no", "comment": "不同意。"})
    assert response.status_code == 409
    assert re.search(r'class="alert alert-danger">该隐患已被他人处理', response.content.decode())
    assert hazard.extension_requests.get().status == ExtensionStatus.APPROVED


def test_the_unit_search_keeps_the_unit_already_chosen(as_user, world):
    url = reverse("accounts:unit_options")
    html = as_user(world.hq_officer).get(url, {"q": "nothing-matches", "unit": world.hq_unit.pk}).content.decode()
    assert f'<option value="{world.hq_unit.pk}" selected>' in html
    other = as_user(world.hq_officer).get(url, {"q": "x", "unit": world.wb_unit.pk}).content.decode()
    assert world.wb_unit.name not in other


def test_a_staged_reference_to_a_folder_is_ignored(as_user, world):
    hazard = world.rectifying()
    response = post_action(
        as_user(world.unit_demo),
        hazard,
        "submit",
        measures="已整改。",
        completed_on=timezone.localdate().isoformat(),
        staged=[f"{'a' * 32}/..", f"{'a' * 32}/."],
    )
    assert response.status_code == 400 and "请上传整改后的照片。" in response.content.decode()


def test_a_unit_contact_must_give_person_and_deadline_when_self_reporting(as_user, world):
    data = world.listing_form(region=[world.hq_village.code], source="self_check")
    response = as_user(world.unit_demo).post(reverse("hazards:new"), data)
    assert response.status_code == 400
    assert 'data-testid="error-responsible_person"' in response.content.decode()
    assert not Hazard.objects.exists()


def test_a_pixel_bomb_photo_is_refused_in_chinese_and_not_kept(as_user, world):
    bomb = SimpleUploadedFile("现场.png", png_claiming(20_000, 20_000), content_type="image/png")
    response = as_user(world.hq_officer).post(reverse("hazards:new"), world.listing_form(photos=[bomb]))
    assert response.status_code == 400
    assert "图片“现场.png”的像素过多，上限为 4000 万像素，请缩小后再上传。" in response.content.decode()
    assert "已保留" not in response.content.decode()


def test_a_photo_with_a_very_long_name_is_kept_across_an_error_and_stored(as_user, world):
    name = "红旗区某仓库北侧消防通道" * 15 + ".png"
    client = as_user(world.hq_officer)
    first = client.post(reverse("hazards:new"), world.listing_form(title="", photos=[png_upload(name)]))
    assert first.status_code == 400
    assert "已保留" in first.content.decode()
    staged = re.findall(r'name="staged" value="([^"]+)"', first.content.decode())
    assert len(staged) == 1
    second = client.post(reverse("hazards:new"), world.listing_form(form_token="new-2", staged=staged))
    assert second.status_code == 302
    attachment = Hazard.objects.get().attachments.get()
    assert attachment.file.name.endswith(".png") and attachment.original_name.startswith("红旗区某仓库")
