from rest_framework.routers import SimpleRouter

from reminders.api import views

router = SimpleRouter()
router.register("inbox", views.InboxViewSet, basename="inbox")

urlpatterns = router.urls
