"""A published checklist for the world's sector: a general item, a major criterion, an optional item."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hazards.choices import Category, Factor
from inspections.models import ChecklistItem, ChecklistSection, ChecklistTemplate, StandardItem
from inspections.standards import load_standards


@pytest.fixture
def checklist(world) -> ChecklistTemplate:
    load_standards()
    template = ChecklistTemplate.objects.create(code="machinery", name="机械企业日常检查表", sector=world.sector)
    site = ChecklistSection.objects.create(template=template, order=1, title="现场管理")
    ChecklistItem.objects.create(
        section=site,
        order=1,
        text="配电箱外壳可靠接地，箱门完好",
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
