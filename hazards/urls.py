"""URLs of the browser app, mounted at the site root by config/urls.py."""

from django.urls import path

from core.imports.views import urlpatterns as import_urlpatterns
from hazards import views
from hazards.imports import HAZARDS

app_name = "hazards"

urlpatterns = [
    path("", views.home, name="home"),
    path("hazards/", views.hazard_list, name="list"),
    path("hazards/new/", views.hazard_new, name="new"),
    path("hazards/<int:pk>/", views.hazard_detail, name="detail"),
    path("hazards/<int:pk>/edit/", views.hazard_edit, name="edit"),
    path("hazards/<int:pk>/do/<slug:slug>/", views.hazard_action, name="action"),
    path("hazards/<int:pk>/notice/", views.rectification_notice, name="rectification_notice"),
    path("hazards/<int:pk>/supervision/<int:listing_id>/notice/", views.supervision_notice, name="supervision_notice"),
    *import_urlpatterns(HAZARDS, "hazards/import/"),
    path("workdays/", views.working_days_preview, name="working_days"),
    path("hazards/<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
