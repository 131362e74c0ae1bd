from rest_framework.routers import SimpleRouter

from hazards.api import views

router = SimpleRouter()
router.register("hazards", views.HazardViewSet, basename="hazard")
router.register("extensions", views.ExtensionViewSet, basename="extension")
router.register("attachments", views.AttachmentViewSet, basename="attachment")

urlpatterns = router.urls
