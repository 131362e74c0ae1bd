"""Pages of the shared machinery, mounted at the site root by config/urls.py."""

from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:job_id>/result/", views.job_result, name="job_result"),
]
