from rest_framework.routers import SimpleRouter

from core.imports.api import urlpatterns as import_urlpatterns
from hazards.api import views
from hazards.imports import HAZARDS

router = SimpleRouter()
router.register("hazards", views.HazardViewSet, basename="hazard")
router.register("extensions", views.ExtensionViewSet, basename="extension")
router.register("attachments", views.AttachmentViewSet, basename="attachment")

urlpatterns = [*router.urls, *import_urlpatterns(HAZARDS)]
