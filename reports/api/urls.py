from django.urls import path

from reports.api import views

urlpatterns = [
    path("stats/closure/", views.ClosureStatsView.as_view(), name="stats-closure"),
]
