"""URLs of the inspection pages, mounted at the site root by config/urls.py."""

from django.urls import path

from inspections import views

app_name = "inspections"

urlpatterns = [
    path("inspections/", views.inspection_list, name="list"),
    path("inspections/new/", views.inspection_new, name="new"),
    path("inspections/coverage/", views.coverage, name="coverage"),
    path("inspections/plan/", views.inspection_plan, name="plan"),
    path("inspections/<int:pk>/start/", views.start, name="start"),
    path("inspections/<int:pk>/", views.inspection_detail, name="detail"),
    path("inspections/<int:pk>/items/<int:item_id>/", views.answer, name="answer"),
    path("inspections/<int:pk>/complete/", views.complete, name="complete"),
    path("inspections/<int:pk>/record/", views.inspection_record, name="record"),
    path("inspections/<int:pk>/notice/", views.inspection_notice, name="notice"),
]
