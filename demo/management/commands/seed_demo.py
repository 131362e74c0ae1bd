"""``manage.py seed_demo``: the demo city of 新乡, its people and about 3,000 hazards (the demo app)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from accounts.models import Region, ResponsibleUnit, Sector, SupervisingDepartment, User
from demo.seed import DEMO_PASSWORD, seed
from hazards.models import ExtensionRequest, Hazard, HazardEvent, SupervisionListing
from inspections.models import Campaign, ChecklistTemplate

PERSONAS = "admin, city, hq_officer, hq_supervisor, wb_officer, wb_supervisor, unit_demo, api_client"


class Command(BaseCommand):
    help = (
        "Create the demo data: 河南省 › 新乡市 and its 12 counties with townships and villages, supervising "
        "departments and sectors, about 200 responsible units, the demo users and about 3,000 hazards with "
        f"their full history. Every user it creates has the password {DEMO_PASSWORD}: the personas "
        f"{PERSONAS}; officer_<county code> and supervisor_<county code> for the other ten counties; "
        "contact_<county code>_<nn> for each unit's contact. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has regions (make run uses this).",
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        if if_empty and Region.objects.exists():
            self.stdout.write("已有区划数据，跳过演示数据。")
            return
        started = time.monotonic()
        created = seed()
        by_status = dict(Hazard.objects.values_list("status").annotate(n=Count("id")).order_by())
        rows = [
            ("区划", Region.objects.count(), created.regions),
            ("行业主管部门和行业领域", SupervisingDepartment.objects.count() + Sector.objects.count(), created.sectors),
            ("责任单位", ResponsibleUnit.objects.count(), created.units),
            ("用户", User.objects.count(), created.users),
            ("隐患", sum(by_status.values()), created.hazards),
            ("检查表", ChecklistTemplate.objects.count(), created.checklists),
            ("专项整治", Campaign.objects.count(), created.campaigns),
        ]
        for label, total, new in rows:
            self.stdout.write(f"{label}：{total}（本次新建 {new}）")
        self.stdout.write(
            "隐患状态："
            + "，".join(
                f"{label} {by_status.get(value, 0)}" for value, label in Hazard._meta.get_field("status").choices
            )
        )
        self.stdout.write(
            f"事件 {HazardEvent.objects.count()}，挂牌督办 {SupervisionListing.objects.count()}"
            f"（在督 {SupervisionListing.objects.filter(lifted_at__isnull=True).count()}），"
            f"延期申请 {ExtensionRequest.objects.count()}"
        )
        self.stdout.write(
            self.style.SUCCESS(f"演示数据就绪，用时 {time.monotonic() - started:.1f} 秒。演示账号密码：{DEMO_PASSWORD}")
        )
