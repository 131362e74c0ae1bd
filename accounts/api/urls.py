from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views
from accounts.imports import UNITS
from core.imports.api import urlpatterns as import_urlpatterns

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("units", views.UnitViewSet, basename="unit")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/token/rotate/", views.TokenRotateView.as_view(), name="token-rotate"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
    *import_urlpatterns(UNITS),
]
