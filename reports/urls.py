"""The 统计看板 pages, mounted at /reports/ by config/urls.py (the municipal office's is also its home)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<str:region_code>/", views.dashboard, name="region"),
]
