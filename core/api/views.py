"""REST API v1 of the shared machinery: a background job's progress and its result file."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request

from core.api.serializers import ErrorSerializer, JobSerializer
from core.api.viewsets import ScopedRetrieveViewSet
from core.models import Job
from core.views import result_response

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="不存在，或不是您发起的任务")


@extend_schema_view(
    retrieve=extend_schema(summary="后台任务的状态与进度（轮询）", responses={200: JobSerializer, 404: NOT_FOUND}),
)
class JobViewSet(ScopedRetrieveViewSet):
    """后台任务（导出、导入等）：仅发起人可见，按编号轮询进度，完成后下载结果文件。"""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
    filterset_class = None

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # A file is sent as what it is, whatever the client says it accepts; errors still come as JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "result")

    @extend_schema(
        summary="下载后台任务的结果文件",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def result(self, request: Request, pk: str | None = None):
        return result_response(self.get_object())
