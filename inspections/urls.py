"""URLs of the inspection pages, mounted at the site root by config/urls.py."""

from django.urls import path

from inspections import campaign_views, views

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
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/targets/", campaign_views.campaign_targets, name="campaign_targets"),
    path("campaigns/<int:pk>/activate/", campaign_views.campaign_activate, name="campaign_activate"),
    path("campaigns/<int:pk>/close/", campaign_views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/snapshot/", campaign_views.campaign_snapshot, name="campaign_snapshot"),
]
