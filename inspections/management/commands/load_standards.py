"""``manage.py load_standards``: bring the 判定标准 items up to inspections/data/standards.json."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from inspections.standards import load_standards


class Command(BaseCommand):
    help = "Load the 重大事故隐患判定标准 items shipped in inspections/data/standards.json (idempotent)."

    def handle(self, *args, **options) -> None:
        created, updated = load_standards()
        self.stdout.write(f"判定标准条目：新增 {created}，更新 {updated}。")
