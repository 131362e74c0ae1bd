"""Ready checklists shipped with the product (inspections/data/checklists.json): a general one for any
sector and one per sector group with a 判定标准, built from the standard items plus common 一般 items.

Loaded by ``manage.py load_checklists`` and by the demo. A checklist is made once, as version 1,
published at birth (it is data the product ships, like the standards); a code already present is left
alone, since a published version never changes. A sector-bound checklist waits until its sector exists.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import Sector
from inspections.models import ChecklistItem, ChecklistSection, ChecklistTemplate, StandardItem

DATA = Path(__file__).resolve().parent / "data" / "checklists.json"


@transaction.atomic
def load_checklists() -> list[str]:
    """Create the shipped checklists the database lacks; return the codes created."""
    created = []
    standards = {(s.document_number, s.article, s.item_number): s for s in StandardItem.objects.all()}
    for spec in json.loads(DATA.read_text(encoding="utf-8"))["templates"]:
        if ChecklistTemplate.objects.filter(code=spec["code"]).exists():
            continue
        sector = Sector.objects.filter(code=spec["sector"]).first() if spec["sector"] else None
        if spec["sector"] and sector is None:
            continue
        template = ChecklistTemplate.objects.create(
            code=spec["code"], name=spec["name"], sector=sector, version=1, published_at=timezone.now()
        )
        for order, section_spec in enumerate(spec["sections"], 1):
            section = ChecklistSection.objects.create(template=template, order=order, title=section_spec["title"])
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    section=section,
                    order=number,
                    text=row["text"],
                    standard_item=standards[tuple(row["standard"])] if row["standard"] else None,
                    mandatory=row["mandatory"],
                    photo_on_fail=row["photo_on_fail"],
                    category=row["category"],
                    factor=row["factor"],
                    default_requirements=row["requirements"],
                    default_working_days=row["working_days"],
                )
                for number, row in enumerate(section_spec["items"], 1)
            )
        created.append(template.code)
    return created
