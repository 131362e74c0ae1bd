from django.urls import path

from reports.api import tables, views
from reports.layouts import LAYOUTS

urlpatterns = [
    path("stats/closure/", views.ClosureStatsView.as_view(), name="stats-closure"),
    # One route per table (no name parameter): each is its own door, scoped by the region parameter.
    *(path(f"stats/tables/{name}/", tables.table_view(name), name=f"stats-table-{name}") for name in LAYOUTS),
    path("exports/", tables.ExportView.as_view(), name="exports"),
]
