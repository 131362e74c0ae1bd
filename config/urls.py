from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "隐患清单 管理后台"
admin.site.site_title = "隐患清单"
admin.site.index_title = "基础数据与隐患台账"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
