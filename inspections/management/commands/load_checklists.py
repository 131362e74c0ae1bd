"""``manage.py load_checklists``: create the ready checklists of inspections/data/checklists.json."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from inspections.checklists import load_checklists


class Command(BaseCommand):
    help = "Create the shipped checklists the database lacks (a sector-bound one once its sector exists)."

    def handle(self, *args, **options) -> None:
        created = load_checklists()
        self.stdout.write(f"新建检查表 {len(created)} 张：{'、'.join(created) or '无'}。")
