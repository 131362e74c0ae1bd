from rest_framework.routers import SimpleRouter

from inspections.api import views

router = SimpleRouter()
router.register("inspections", views.InspectionViewSet, basename="inspection")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("checklists", views.ChecklistTemplateViewSet, basename="checklist")

urlpatterns = router.urls
