"""REST API v1 for hazards: read, 列单, corrections and one action per workflow service."""

from __future__ import annotations

import hashlib
import json

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core import idempotency
from core.api.errors import Conflict, PreconditionFailed
from core.api.serializers import ErrorSerializer
from core.api.viewsets import ScopedReadOnlyViewSet, ScopedRetrieveViewSet
from core.downloads import file_response
from core.uploads import EVIDENCE_TYPES
from hazards import services
from hazards.api import serializers as s
from hazards.api.pagination import ExtensionPagination, HazardPagination
from hazards.errors import NotAllowed
from hazards.filtersets import HazardFilterSet
from hazards.models import Attachment, ExtensionRequest, Hazard
from hazards.permissions import role_writes

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入有误"),
    403: OpenApiResponse(ErrorSerializer, description="角色无权执行"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在辖区内"),
    409: OpenApiResponse(s.ConflictSerializer, description="当前状态不允许，或已被他人修改"),
    412: OpenApiResponse(ErrorSerializer, description="If-Match 与 ETag 不一致"),
}
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False, description="上次读取时的 ETag；不一致时返回 412"
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="客户端生成的唯一键：同一键与相同请求体只创建一次并返回首次的响应；同一键配不同请求体返回 409",
)


class WritingRole(permissions.IsAuthenticated):
    """A role that may change nothing (the read-only API client) learns it with a 403 before its body is
    read: a 400 about missing fields would send it fixing a request it may never make. Roles that may
    write some things are checked by the services, after validation, per action and hazard."""

    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method not in permissions.SAFE_METHODS and not role_writes(request.user.role):
            # The services' own answer (403 not_allowed), only given before the body is looked at.
            raise NotAllowed(_("您的角色只能查看，不能修改隐患。"))
        return True


def etag(hazard: Hazard) -> str:
    return version_etag(hazard.pk, hazard.version)


def version_etag(pk: int, version: int) -> str:
    return f'"{pk}-{version}"'


def hazard_response(
    hazard: Hazard, *, status_code: int = status.HTTP_200_OK, headers: dict | None = None, reload: bool = True
) -> Response:
    if reload:
        # Re-read with the list's annotations, so derived fields (is_supervised) reflect the change just made.
        hazard = HazardViewSet.queryset.get(pk=hazard.pk)
    return Response(
        s.HazardSerializer(hazard).data, status=status_code, headers={"ETag": etag(hazard), **(headers or {})}
    )


def action_schema(request, summary: str, responses=None):
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[IF_MATCH],
        responses={200: s.HazardSerializer, **ERRORS, **(responses or {})},
    )


@extend_schema_view(
    list=extend_schema(summary="隐患列表（游标分页，不统计总数）"),
    retrieve=extend_schema(summary="隐患详情（带 ETag）", responses={200: s.HazardSerializer, 404: ERRORS[404]}),
)
class HazardViewSet(ScopedReadOnlyViewSet):
    """隐患：列表与详情按辖区可见；写操作均经由业务服务。"""

    # Region, county and sector come from their reference caches (HazardSerializer), not from joins.
    queryset = Hazard.objects.select_related("responsible_unit", "inspected_unit").with_is_supervised()
    # A page is plain rows of the columns the representation reads: no model instances, and the
    # columns are resolved once here rather than on every request.
    list_queryset = Hazard.objects.with_is_supervised().values(*s.ROW_FIELDS)
    serializer_class = s.HazardSerializer
    filterset_class = HazardFilterSet
    pagination_class = HazardPagination
    permission_classes = [WritingRole]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return hazard_response(self.get_object(), reload=False)

    def get_object_for_change(self) -> Hazard:
        hazard = self.get_object()
        expected = self.request.headers.get("If-Match")
        if expected is not None and expected.strip() not in ("*", etag(hazard)):
            raise PreconditionFailed()
        return hazard

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="列单：登记隐患（责任单位联系人为企业自查）",
        request=s.HazardCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.HazardSerializer, **ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return self._create()
        if len(key) > 255:
            raise Conflict(_("Idempotency-Key 过长（最多 255 个字符）。"))
        body = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False)

        def perform() -> tuple[Response, int, dict]:
            response = self._create()
            # Stored as rendered JSON, so a replay carries the same values the first caller got.
            return response, response.status_code, json.loads(JSONRenderer().render(response.data))

        outcome = idempotency.perform_once(
            user=request.user, key=key, fingerprint=hashlib.sha256(body.encode()).hexdigest(), perform=perform
        )
        if outcome.value is not None:
            return outcome.value
        headers = {"Idempotent-Replayed": "true"}
        if hazard_id := outcome.body.get("id"):
            headers["Location"] = f"{request.build_absolute_uri(request.path)}{hazard_id}/"
            # The first answer's ETag: the version the hazard had then, as the replayed body shows it.
            headers["ETag"] = version_etag(hazard_id, outcome.body["version"])
        return Response(outcome.body, status=outcome.status_code, headers=headers)

    def _create(self) -> Response:
        data = self._input(s.HazardCreateSerializer)
        major = data.pop("major")
        person, deadline = data.pop("responsible_person"), data.pop("deadline")
        details = services.HazardDetails(**data, major=services.MajorDetails(**major) if major else None)
        hazard = services.hazard_create(
            details=details, by=self.request.user, responsible_person=person, deadline=deadline
        )
        location = f"{self.request.build_absolute_uri(self.request.path)}{hazard.pk}/"
        return hazard_response(hazard, status_code=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary="修改当前状态下仍可修改的字段",
        request=s.HazardUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: s.HazardSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        hazard = self.get_object_for_change()
        changes = self._input(s.HazardUpdateSerializer)
        return hazard_response(services.hazard_update(hazard=hazard, by=request.user, changes=changes))

    @action_schema(s.AssignSerializer, "交单：交办责任单位并设定整改期限")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(
            services.hazard_assign(hazard=hazard, by=request.user, **self._input(s.AssignSerializer))
        )

    @action_schema(s.ReassignSerializer, "改派：签收前改交其他责任单位（或改定要求、期限）")
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(
            services.hazard_reassign(hazard=hazard, by=request.user, **self._input(s.ReassignSerializer))
        )

    @action_schema(s.ReasonSerializer, "撤回交办：签收前撤回到待交单")
    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(
            services.hazard_recall(hazard=hazard, by=request.user, **self._input(s.ReasonSerializer))
        )

    @action_schema(s.EmptySerializer, "签收")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        self._input(s.EmptySerializer)
        return hazard_response(services.hazard_acknowledge(hazard=hazard, by=request.user))

    @action_schema(s.SubmitSerializer, "办单：提交整改结果（需整改后照片）")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(
            services.hazard_submit(hazard=hazard, by=request.user, **self._input(s.SubmitSerializer))
        )

    @action_schema(s.VerifySerializer, "销号：验收通过并销号")
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(
            services.hazard_verify(hazard=hazard, by=request.user, **self._input(s.VerifySerializer))
        )

    @action_schema(s.ReasonSerializer, "退回：验收不通过，退回整改")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(
            services.hazard_reject(hazard=hazard, by=request.user, **self._input(s.ReasonSerializer))
        )

    @action_schema(s.ReasonSerializer, "作废（保留记录，不计入统计）")
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        return hazard_response(services.hazard_void(hazard=hazard, by=request.user, **self._input(s.ReasonSerializer)))

    @extend_schema(
        summary="申请延期",
        request=s.ExtensionRequestInputSerializer,
        parameters=[IF_MATCH],
        responses={201: s.ExtensionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        data = self._input(s.ExtensionRequestInputSerializer)
        extension = services.extension_request(hazard=hazard, by=request.user, **data)
        return Response(s.ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="挂牌督办（仅重大事故隐患）",
        request=s.SupervisionInputSerializer,
        parameters=[IF_MATCH],
        responses={201: s.SupervisionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="list-supervision")
    def list_supervision(self, request: Request, pk=None) -> Response:
        hazard = self.get_object_for_change()
        data = self._input(s.SupervisionInputSerializer)
        listing = services.supervision_start(hazard=hazard, by=request.user, **data)
        return Response(s.SupervisionSerializer(listing).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="时间线：隐患的全部事件", responses={200: s.EventSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request: Request, pk=None) -> Response:
        hazard = self.get_object()
        events = hazard.events.select_related("actor").order_by("at", "id")
        return Response(s.EventSerializer(events, many=True).data)

    @extend_schema(
        methods=["GET"], summary="附件列表", responses={200: s.AttachmentSerializer(many=True), 404: ERRORS[404]}
    )
    @extend_schema(
        methods=["POST"],
        summary="上传附件（multipart；JPEG、PNG、WebP 或 PDF，按内容识别，最大 10 MB）",
        request={"multipart/form-data": s.AttachmentInputSerializer},
        responses={201: s.AttachmentSerializer, 413: OpenApiResponse(ErrorSerializer, "文件过大"), **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def attachments(self, request: Request, pk=None) -> Response:
        hazard = self.get_object()
        if request.method == "GET":
            attachments = hazard.attachments.all()
            return Response(s.AttachmentSerializer(attachments, many=True, context=self.get_serializer_context()).data)
        data = self._input(s.AttachmentInputSerializer)
        attachment = services.attachment_add(hazard=hazard, by=request.user, phase=data["phase"], upload=data["file"])
        body = s.AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="延期申请列表"),
    retrieve=extend_schema(summary="延期申请详情"),
)
class ExtensionViewSet(ScopedReadOnlyViewSet):
    """延期申请：随隐患按辖区可见。"""

    queryset = ExtensionRequest.objects.select_related("hazard")
    serializer_class = s.ExtensionSerializer
    pagination_class = ExtensionPagination
    filterset_class = None
    permission_classes = [WritingRole]

    @extend_schema(
        summary="审批延期申请（批准则整改期限随之变更）",
        request=s.ExtensionDecisionSerializer,
        responses={200: s.ExtensionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk=None) -> Response:
        extension = self.get_object()
        serializer = s.ExtensionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extension = services.extension_decide(extension=extension, by=request.user, **serializer.validated_data)
        return Response(s.ExtensionSerializer(extension).data)


# What an evidence file can be: the types core.uploads recognises by content.
ATTACHMENT_FILE = {(200, content_type): OpenApiTypes.BINARY for content_type in EVIDENCE_TYPES}


@extend_schema_view(
    retrieve=extend_schema(summary="附件详情", responses={200: s.AttachmentSerializer, 404: ERRORS[404]}),
)
class AttachmentViewSet(ScopedRetrieveViewSet):
    """附件：随隐患按辖区可见；`file` 是下载地址。"""

    queryset = Attachment.objects.all()
    serializer_class = s.AttachmentSerializer
    filterset_class = None

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # A file is sent as what it is, whatever the client says it accepts; errors still come as JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    @extend_schema(
        summary="下载附件文件（照片在浏览器中打开，PDF 作为附件下载）",
        responses={**ATTACHMENT_FILE, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        attachment = self.get_object()
        return file_response(attachment.file, filename=attachment.download_name, content_type=attachment.content_type)
