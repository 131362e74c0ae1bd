from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.forms import AdminLoginForm
from accounts.urls import auth_urlpatterns
from core.api.docs import OfflineRedocView, OfflineSwaggerView

admin.site.site_header = "隐患清单 管理后台"
admin.site.site_title = "隐患清单"
admin.site.index_title = "基础数据与隐患台账"
admin.site.login_form = AdminLoginForm  # behind the same login limit as /login/ and the API token

api_v1 = [
    # First: the statistics are what pollers ask most often, and Django tries the patterns in order (the
    # routers below add ~40; matching them was a fifth of a 304's time, docs/reports.md §6).
    path("", include("reports.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("hazards.api.urls")),
    path("", include("inspections.api.urls")),
    path("", include("reminders.api.urls")),
    path("", include("core.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", OfflineSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    *auth_urlpatterns,
    path("", include("hazards.urls")),
    path("", include("inspections.urls")),
    path("", include("accounts.urls")),
    path("", include("reminders.urls")),
    path("", include("reports.urls")),
    path("", include("core.urls")),
]

handler400 = "core.api.errors.api_aware_400"
handler404 = "core.api.errors.api_aware_404"
