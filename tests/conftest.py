"""Personas of the demo city, hazards made through the services, and evidence files."""

from __future__ import annotations

import datetime
import importlib
import io
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone
from PIL import Image
from playwright.sync_api import sync_playwright

from accounts.choices import RegionLevel, Role
from accounts.models import Region, ResponsibleUnit, Sector, User
from core.workdays import add_working_days
from hazards import search, services
from hazards.choices import Category, Factor, Level, MajorStandard, Source, VerificationMethod
from hazards.models import Hazard
from inspections.models import ChecklistItem, ChecklistSection, ChecklistTemplate, StandardItem
from inspections.standards import load_standards
from tests.factories import RegionFactory, SectorFactory, UnitFactory, UserFactory


def pytest_configure(config) -> None:
    import os

    from django.conf import settings

    # The suite runs against the real PostgreSQL and Redis that tests/harness.py starts; nothing is
    # skipped for want of them.
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"] or not os.environ.get("REDIS_URL"):
        pytest.exit("Run the tests with `make test` or `python -m tests.harness -- pytest`.", returncode=2)

    # Hashing demo passwords with PBKDF2 would dominate the suite's time; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client and the live server speak plain HTTP; tests/test_security_headers.py covers the
    # redirect to HTTPS that production answers them with.
    settings.SECURE_SSL_REDIRECT = False
    # Pages render without a collectstatic manifest; tests/test_processes.py covers the real one.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def no_login_failures_left_over():
    """Each test starts with no failed sign-ins counted: the login limit (core.login_limit) keeps them in
    the harness's Redis, shared by the whole run, and a test's wrong passwords must not lock the next."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        keys = list(client.scan_iter("login:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def png_upload(name: str = "photo.png", color: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed black-and-white PNG of a few dozen bytes whose header claims ``width`` × ``height``:
    its one row of data passes every structural check, and a browser decoding it allocates every pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit per pixel, greyscale
    row = b"\x00" * (1 + (width + 7) // 8)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row, 9)) + chunk(b"IEND", b"")


def default_rule_rows() -> list[dict]:
    """The default reminder rules as the data migration installs them (tests run with --no-migrations)."""
    migration = importlib.import_module("reminders.migrations.0002_default_rules")
    return [dict(zip(migration.FIELDS, values, strict=True)) for values in migration.DEFAULT_RULES]


def future_deadline(working_days: int = 10) -> datetime.date:
    return add_working_days(timezone.localdate(), working_days)


@dataclass
class World:
    """A small 新乡市: two counties with their officers, supervisors and one unit each."""

    city: Region
    hongqi: Region
    weibin: Region
    hq_township: Region
    hq_village: Region
    sector: Sector
    hq_unit: ResponsibleUnit
    wb_unit: ResponsibleUnit
    hq_officer: User
    hq_supervisor: User
    wb_officer: User
    wb_supervisor: User
    unit_demo: User
    wb_contact: User
    city_office: User
    api_client: User
    admin: User

    def supervisor_at(self, region: Region) -> User:
        """A supervisor whose own level is ``region``'s (a city or provincial one lists at that level)."""
        username = f"supervisor_{region.code}"
        return User.objects.filter(username=username).first() or UserFactory(
            username=username, role=Role.SUPERVISOR, region=region
        )

    def details(self, **overrides) -> services.HazardDetails:
        values = {
            "region": self.hq_village,
            "sector": self.sector,
            "title": "配电箱未接地",
            "description": "生产车间东侧配电箱外壳未可靠接地，存在触电风险。",
            "category": Category.SITE_MANAGEMENT,
            "factor": Factor.OBJECT,
            "source": Source.ROUTINE,
            "address": "红旗区某工业园 3 号车间",
        }
        values.update(overrides)
        return services.HazardDetails(**values)

    def major_details(self, **overrides) -> services.HazardDetails:
        major = services.MajorDetails(
            major_standard=MajorStandard.INDUSTRY_TRADE,
            major_standard_item="第四条第（一）项",
            plan_measures="更换防爆电气",
            plan_responsibility="企业主要负责人",
            plan_funds=12,
            plan_deadline=future_deadline(20),
            plan_contingency="编制专项应急预案",
        )
        return self.details(level=Level.MAJOR, major=major, title="粉尘涉爆场所未设置泄爆装置", **overrides)

    def listing_form(self, **overrides) -> dict:
        """What the 登记隐患 form posts for ``details()``: the region cascade down to the township."""
        data = {
            "form_token": "new-1",
            "region": [self.hongqi.code, self.hq_township.code, ""],
            "address": "3 号车间",
            "sector": self.sector.code,
            "level": "general",
            "category": "site_management",
            "factor": "object",
            "source": "routine",
            "title": "配电箱未接地",
            "description": "车间东侧配电箱外壳未接地。",
        }
        data.update(overrides)
        return data

    # Hazards at each stage, made the way users make them.
    def listed(self, **overrides) -> Hazard:
        return services.hazard_register(details=self.details(**overrides), by=self.hq_officer)

    def listed_major(self, **overrides) -> Hazard:
        return services.hazard_register(details=self.major_details(**overrides), by=self.hq_officer)

    def assigned(self, hazard: Hazard | None = None) -> Hazard:
        return services.hazard_assign(
            hazard=hazard or self.listed(),
            by=self.hq_officer,
            unit=self.hq_unit,
            responsible_person="李四",
            requirements="立即整改，规范接地。",
            deadline=future_deadline(),
        )

    def rectifying(self, hazard: Hazard | None = None) -> Hazard:
        return services.hazard_acknowledge(hazard=self.assigned(hazard), by=self.unit_demo)

    def submitted(self, hazard: Hazard | None = None) -> Hazard:
        return services.hazard_submit(
            hazard=self.rectifying(hazard),
            by=self.unit_demo,
            measures="已重新敷设接地线并检测合格。",
            completed_on=timezone.localdate(),
            photos=[png_upload()],
        )

    def closed(self, hazard: Hazard | None = None) -> Hazard:
        return services.hazard_verify(
            hazard=self.submitted(hazard),
            by=self.hq_supervisor,
            method=VerificationMethod.ON_SITE,
            opinion="现场核查，整改到位，同意销号。",
        )


def build_world() -> World:
    henan = RegionFactory(code="410000", name="河南省", level=RegionLevel.PROVINCE)
    city = RegionFactory(code="410700", name="新乡市", level=RegionLevel.CITY, parent=henan)
    hongqi = RegionFactory(code="410702", name="红旗区", level=RegionLevel.COUNTY, parent=city)
    weibin = RegionFactory(code="410703", name="卫滨区", level=RegionLevel.COUNTY, parent=city)
    hq_township = RegionFactory(code="410702001000", name="西街街道", level=RegionLevel.TOWNSHIP, parent=hongqi)
    hq_village = RegionFactory(code="410702001001", name="西街社区", level=RegionLevel.VILLAGE, parent=hq_township)
    sector = SectorFactory(code="dust", name="粉尘涉爆")
    hq_unit = UnitFactory(region=hq_village, credit_code="91410702MA44X7YK5A", name="新乡市红旗机械有限公司")
    wb_unit = UnitFactory(region=weibin, name="新乡市卫滨纺织有限公司")

    def user(username: str, role: Role, **kw) -> User:
        return UserFactory(username=username, role=role, **kw)

    return World(
        city=city,
        hongqi=hongqi,
        weibin=weibin,
        hq_township=hq_township,
        hq_village=hq_village,
        sector=sector,
        hq_unit=hq_unit,
        wb_unit=wb_unit,
        hq_officer=user("hq_officer", Role.COUNTY_OFFICER, region=hongqi),
        hq_supervisor=user("hq_supervisor", Role.SUPERVISOR, region=hongqi),
        wb_officer=user("wb_officer", Role.COUNTY_OFFICER, region=weibin),
        wb_supervisor=user("wb_supervisor", Role.SUPERVISOR, region=weibin),
        unit_demo=user("unit_demo", Role.UNIT_CONTACT, unit=hq_unit),
        wb_contact=user("wb_contact", Role.UNIT_CONTACT, unit=wb_unit),
        city_office=user("city", Role.MUNICIPAL_OFFICE, region=city),
        api_client=user("api_client", Role.API_CLIENT, region=city),
        admin=user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def reference_rows_forgotten():
    """Each test starts without the regions and sectors a process keeps (core/reference.py): a test's
    rows are rolled back without the signals that would make the cache forget them, and a report lists
    every county and sector it keeps."""
    from accounts.models import Region, Sector

    Region.cached.clear()
    Sector.cached.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client):
    """The test client logged in as ``user``: ``as_user(world.hq_officer).get(...)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_collection_modifyitems(items):
    """A test that restarts the shared PostgreSQL runs after all others: the sessions other threads of
    this process hold (a live server's, opened by an earlier browser test) do not survive it."""
    items.sort(key=lambda item: item.get_closest_marker("restarts_postgres") is not None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, dropped at the end without a warning about sessions still using it.

    The live server's request threads and the real worker processes of some tests may still hold a
    connection when the session ends; they are finished, so their sessions are ended before the drop.
    Tests run without migrations: the search table's triggers and index (hazards/search.py) come here.
    """
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        search.install(cursor, backfill=False)
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# Debian's Chromium for the browser tests (.ci/run installs it); never a browser Playwright downloads.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server's request threads must not keep database connections open after a request
    # (DB_CONN_MAX_AGE), or dropping the test database at the end of the session finds them.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def checklist(world) -> ChecklistTemplate:
    """A published checklist for the world's sector: a general item, a major criterion, an optional item."""
    load_standards()
    template = ChecklistTemplate.objects.create(code="machinery", name="机械企业日常检查表", sector=world.sector)
    site = ChecklistSection.objects.create(template=template, order=1, title="现场管理")
    ChecklistItem.objects.create(
        section=site,
        order=1,
        text="配电箱外壳可靠接地，箱门完好",
        default_requirements="配电箱外壳重新可靠接地并检测",
        category=Category.SITE_MANAGEMENT,
        factor=Factor.OBJECT,
        default_working_days=5,
    )
    ChecklistItem.objects.create(
        section=site,
        order=2,
        text="特种作业人员持证上岗",
        standard_item=StandardItem.objects.get(
            document_number="应急管理部令第10号", article="第三条", item_number="（二）"
        ),
        category=Category.BASIC_MANAGEMENT,
        factor=Factor.HUMAN,
    )
    ChecklistItem.objects.create(
        section=site,
        order=3,
        text="消防通道畅通",
        mandatory=False,
        category=Category.SITE_MANAGEMENT,
        factor=Factor.ENVIRONMENT,
    )
    template.published_at = timezone.now()
    template.save()
    return template
