"""The region cascade and unit search pickers, and the printable notices."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from hazards import services
from hazards.choices import AuthorityLevel
from tests.conftest import future_deadline

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
    listing = services.supervision_start(
        hazard=major,
        by=world.supervisor_at(world.city),
        authority_level=AuthorityLevel.CITY,
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30),
    )
    url = reverse("hazards:supervision_notice", args=[major.pk, listing.pk])
    html = as_user(world.hq_officer).get(url).content.decode()
    number = f"新乡市安委办督〔{timezone.localdate().year}〕1号"
    assert "重大事故隐患挂牌督办通知书" in html and number in html and "市级挂牌督办" in html
    assert "新乡市安全生产委员会办公室决定" in html
    assert as_user(world.wb_officer).get(url).status_code == 404
