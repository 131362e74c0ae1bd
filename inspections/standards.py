"""The 判定标准 items shipped with the product (inspections/data/standards.json), loaded idempotently by
the data migration and by ``manage.py load_standards`` after the file gains items."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import models

DATA = Path(__file__).resolve().parent / "data" / "standards.json"
KEY = ("document_number", "article", "item_number")


def load_standards(model: type[models.Model] | None = None) -> tuple[int, int]:
    """Create the items the database lacks and bring the others up to the file; (created, updated).

    ``model`` is the migration's historical StandardItem, or the live one by default."""
    if model is None:
        from inspections.models import StandardItem

        model = StandardItem
    rows = json.loads(DATA.read_text(encoding="utf-8"))["items"]
    existing = {tuple(getattr(item, name) for name in KEY): item for item in model._default_manager.all()}
    created = updated = 0
    for row in rows:
        item = existing.get(tuple(row[name] for name in KEY))
        if item is None:
            model._default_manager.create(**row)
            created += 1
            continue
        changed = {name: value for name, value in row.items() if str(getattr(item, name)) != str(value)}
        if changed:
            model._default_manager.filter(pk=item.pk).update(**changed)
            updated += 1
    return created, updated
