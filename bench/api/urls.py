"""The project's URLs plus ``/bench/bare/hazards/``: a plain DRF ModelViewSet over the same table.

The bare endpoint is what DRF gives for free, serving the same rows as the project's filtered list:

* ``ModelViewSet`` over ``Hazard.objects.all()`` (no scoping, no joins, no ``is_supervised`` EXISTS);
* ``ModelSerializer`` with ``fields = "__all__"`` (every column, foreign keys as ids);
* DRF's own ``CursorPagination``, 50 rows, ordered by ``-found_at, -id`` (the project's default order);
* ``DjangoFilterBackend`` with ``filterset_fields`` ``county`` (a region id) and ``status``: the same
  ``county_id = … AND status = …`` filter that ``?region=410702&status=rectifying`` becomes in the
  project's endpoint for a county officer;
* the project's authentication, permission and throttle classes (the REST_FRAMEWORK defaults).

``/bench/floor/`` is an authenticated DRF view that returns ``{}``: what any request costs on this
machine before a view does any work (middleware, token authentication, throttling, rendering).
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework import pagination, serializers, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from config import urls as project
from hazards.models import Hazard

# The project's error handlers (JSON 404 under /api/, …) go with its URLs.
for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(project, _name):
        globals()[_name] = getattr(project, _name)


class BareHazardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hazard
        fields = "__all__"


class BareCursorPagination(pagination.CursorPagination):
    page_size = 50
    ordering = ("-found_at", "-id")


class BareHazardViewSet(viewsets.ModelViewSet):
    queryset = Hazard.objects.all()
    serializer_class = BareHazardSerializer
    pagination_class = BareCursorPagination
    filterset_fields = ["county", "status"]


class FloorView(APIView):
    def get(self, request):
        return Response({})


router = SimpleRouter()
router.register("hazards", BareHazardViewSet, basename="bare-hazard")

urlpatterns = [
    *project.urlpatterns,
    path("bench/bare/", include((router.urls, "bare"))),
    path("bench/floor/", FloorView.as_view(), name="bench-floor"),
]
