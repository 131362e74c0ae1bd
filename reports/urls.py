"""Pages of the reports app, mounted at the site root by config/urls.py."""

from django.urls import path

from reports import views
from reports.layouts import LAYOUTS

app_name = "reports"

urlpatterns = [
    path("reports/tables/", views.table_index, name="tables"),
    # One route per table, the name fixed in the route: no parameter names a record.
    *(path(f"reports/tables/{name}/", views.table_page, {"name": name}, name=f"table_{name}") for name in LAYOUTS),
    path("reports/exports/", views.export_new, name="export_new"),
    path("reports/exports/<int:job_id>/", views.export_job, name="export_job"),
    # 统计看板 (after the fixed routes: a region code never reads "tables" or "exports").
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/<str:region_code>/", views.dashboard, name="region"),
]
