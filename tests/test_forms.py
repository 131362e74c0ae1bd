"""The browser's forms through the test client: every action of the panel, 列单, pickers and notices.

The browser tests (test_browser.py) walk the same forms in Chromium; here each rule gets its own test:
errors in Chinese next to the field with the input kept, photos kept across an error, a second submit
doing nothing twice, a stale form refused, and jurisdiction (404) before anything else.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from hazards import services
from hazards.choices import Action, AttachmentPhase, AuthorityLevel, ExtensionStatus, Status
from hazards.models import Hazard, HazardEvent
from tests.conftest import future_deadline, png_upload


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


# --- the panel offers only what may be done now ---------------------------------------------------


def test_the_panel_offers_each_role_only_its_next_steps(as_user, world):
    listed, major, submitted = world.listed(), world.listed_major(), world.submitted()
    assigned = world.assigned()
    assert panel(as_user(world.hq_officer).get(detail_url(listed))) == ["assign", "submit"]
    # 即查即改 is for general hazards only.
    assert panel(as_user(world.hq_officer).get(detail_url(major))) == ["assign"]
    assert panel(as_user(world.unit_demo).get(detail_url(assigned))) == ["acknowledge", "request-extension"]
    assert panel(as_user(world.hq_supervisor).get(detail_url(submitted))) == ["verify", "reject", "void"]
    assert panel(as_user(world.hq_supervisor).get(detail_url(major))) == ["list-supervision", "void"]
    assert panel(as_user(world.city_office).get(detail_url(submitted))) == []


# --- 交单 and the rest of a life --------------------------------------------------------------------


def test_assigning_through_the_form_hands_the_hazard_over(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    response = post_action(client, hazard, "assign", **assign_data(world))
    assert response.status_code == 302 and response["Location"] == detail_url(hazard)
    hazard.refresh_from_db()
    assert hazard.status == Status.ASSIGNED and hazard.responsible_unit == world.hq_unit
    assert "已交办给责任单位。" in client.get(detail_url(hazard)).content.decode()


def test_a_deadline_given_in_working_days_is_computed(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    post_action(client, hazard, "assign", **assign_data(world, deadline="", working_days="5"))
    hazard.refresh_from_db()
    preview = client.get(reverse("hazards:working_days"), {"working_days": "5"}).content.decode()
    assert hazard.deadline.isoformat() in preview and "星期" in preview


def test_the_working_days_helper_ignores_nonsense(as_user, world):
    client = as_user(world.hq_officer)
    for value in ("", "abc", "0", "-3", "9999"):
        assert client.get(reverse("hazards:working_days"), {"working_days": value}).content == b""


def test_a_whole_life_with_one_rejection_through_the_forms(as_user, world):
    hazard = world.listed()
    post_action(as_user(world.hq_officer), hazard, "assign", **assign_data(world))
    contact = as_user(world.unit_demo)
    post_action(contact, hazard, "acknowledge")
    submit = {"measures": "重新敷设接地线。", "completed_on": timezone.localdate().isoformat(), "photos": png_upload()}
    post_action(contact, hazard, "submit", **submit)
    post_action(as_user(world.hq_supervisor), hazard, "reject", reason="接地电阻仍不合格。")
    hazard.refresh_from_db()
    assert hazard.status == Status.RECTIFYING
    post_action(as_user(world.unit_demo), hazard, "submit", **{**submit, "photos": png_upload("again.png")})
    verified = post_action(
        as_user(world.hq_supervisor), hazard, "verify", method="on_site", opinion="复查合格，同意销号。"
    )
    assert verified.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == Status.CLOSED
    actions = list(hazard.events.values_list("action", flat=True))
    assert actions == ["list", "assign", "acknowledge", "submit", "reject", "submit", "verify"]
    assert hazard.attachments.filter(phase=AttachmentPhase.RECTIFIED).count() == 2


def test_extension_request_and_decision_through_the_forms(as_user, world):
    hazard = world.rectifying()
    later = (hazard.deadline + timezone.timedelta(days=10)).isoformat()
    post_action(
        as_user(world.unit_demo), hazard, "request-extension", requested_deadline=later, reason="设备到货延迟。"
    )
    shown = as_user(world.hq_supervisor).get(detail_url(hazard)).content.decode()
    assert re.search(r'data-testid="pending-extension">.*延至 <strong>' + later + "</strong>：设备到货延迟。", shown)
    denied = post_action(as_user(world.hq_supervisor), hazard, "decide-extension", approve="no", comment="")
    assert denied.status_code == 400
    assert "请填写不予延期的理由。" in denied.content.decode()
    post_action(as_user(world.hq_supervisor), hazard, "decide-extension", approve="yes", comment="同意。")
    hazard.refresh_from_db()
    assert hazard.deadline.isoformat() == later
    assert hazard.extension_requests.get().status == ExtensionStatus.APPROVED


def test_supervision_listing_and_voiding_through_the_forms(as_user, world):
    major = world.listed_major()
    client = as_user(world.hq_supervisor)
    post_action(
        client,
        major,
        "list-supervision",
        authority_level=AuthorityLevel.CITY,
        authority="新乡市安全生产委员会办公室",
        notice_number="新安委督〔2026〕7号",
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30).isoformat(),
    )
    assert major.supervision_listings.get().notice_number == "新安委督〔2026〕7号"
    post_action(client, major, "void", reason="重复登记。")
    major.refresh_from_db()
    assert major.status == Status.VOID and not major.supervision_listings.filter(lifted_at__isnull=True).exists()


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


# --- pickers -------------------------------------------------------------------------------------


def test_the_region_cascade_starts_at_the_jurisdiction_and_opens_the_children(as_user, world):
    client = as_user(world.hq_officer)
    html = client.get(reverse("accounts:region_cascade"), {"region": world.hq_township.code}).content.decode()
    assert html.count("<select") == 3 and "西街社区" in html and f'value="{world.hq_township.code}" selected' in html
    # An emptied select falls back to the region above it; outside the jurisdiction nothing opens.
    back = client.get(reverse("accounts:region_cascade"), {"region": "", "parent": world.hongqi.code})
    assert back.content.decode().count("<select") == 2
    outside = client.get(reverse("accounts:region_cascade"), {"region": world.weibin.code}).content.decode()
    assert "卫滨区" not in outside


def test_units_are_found_by_pinyin_initials_within_the_jurisdiction(as_user, world):
    url = reverse("accounts:unit_options")
    assert world.hq_unit.name in as_user(world.hq_officer).get(url, {"q": "xxshq"}).content.decode()
    assert world.hq_unit.name in as_user(world.hq_officer).get(url, {"q": "91410702MA44"}).content.decode()
    assert world.hq_unit.name not in as_user(world.wb_officer).get(url, {"q": "xxshq"}).content.decode()


# --- printable documents ---------------------------------------------------------------------------


def test_the_rectification_notice_is_filled_from_the_record(as_user, world):
    hazard = world.assigned()
    html = as_user(world.unit_demo).get(reverse("hazards:rectification_notice", args=[hazard.pk])).content.decode()
    assert "生产安全事故隐患整改通知书" in html and world.hq_unit.name in html and hazard.number in html
    assert hazard.deadline.strftime("%Y年%-m月%-d日") in html and "@page" not in html
    assert (
        as_user(world.hq_officer).get(reverse("hazards:rectification_notice", args=[world.listed().pk])).status_code
        == 404
    )


def test_the_supervision_notice_is_filled_from_the_listing_and_scoped(as_user, world):
    major = world.assigned(world.listed_major())
    listing = services.supervision_list(
        hazard=major,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.CITY,
        authority="新乡市安全生产委员会办公室",
        notice_number="新安委督〔2026〕9号",
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30),
    )
    url = reverse("hazards:supervision_notice", args=[major.pk, listing.pk])
    html = as_user(world.hq_officer).get(url).content.decode()
    assert "重大事故隐患挂牌督办通知书" in html and "新安委督〔2026〕9号" in html and "市级挂牌督办" in html
    assert as_user(world.wb_officer).get(url).status_code == 404


# --- 修改信息 ------------------------------------------------------------------------------------------


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
