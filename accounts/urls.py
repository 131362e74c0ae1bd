"""The form pickers, mounted at the site root by config/urls.py."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("pickers/regions/", views.region_cascade_view, name="region_cascade"),
    path("pickers/units/", views.unit_options, name="unit_options"),
]
