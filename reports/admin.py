"""The table rows the sectors are counted in, editable: the national tables' mapping is data."""

from django.contrib import admin

from reports.models import SectorTableRow


@admin.register(SectorTableRow)
class SectorTableRowAdmin(admin.ModelAdmin):
    list_display = ("sector", "row")
    list_filter = ("row",)
    search_fields = ("sector__name", "sector__code")
