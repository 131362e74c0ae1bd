"""REST API v1 for inspections: read them, start one, answer item by item, complete it; read checklists."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.pagination import KeysetPagination
from core.api.serializers import ErrorSerializer
from core.api.viewsets import ScopedReadOnlyViewSet, UnscopedReadOnlyViewSet
from inspections import services
from inspections.api import serializers as s
from inspections.models import Answer, Campaign, ChecklistItem, ChecklistSection, ChecklistTemplate, Inspection
from inspections.services import PhaseInput

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入有误"),
    403: OpenApiResponse(ErrorSerializer, description="角色无权执行"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在辖区内"),
    409: OpenApiResponse(ErrorSerializer, description="当前状态不允许，或已被他人修改"),
}


class InspectionPagination(KeysetPagination):
    orderings = ("-created_at", "created_at")
    default_ordering = "-created_at"


@extend_schema_view(
    list=extend_schema(summary="检查列表（游标分页）"),
    retrieve=extend_schema(summary="检查详情（含各项结果）", responses={200: s.InspectionSerializer, 404: ERRORS[404]}),
)
class InspectionViewSet(ScopedReadOnlyViewSet):
    """检查：按辖区可见（四不两直在登记第一条隐患前对被检查单位不可见）；写操作均经由业务服务。"""

    queryset = Inspection.objects.select_related("unit", "region", "sector").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.select_related("hazard"))
    )
    serializer_class = s.InspectionSerializer
    pagination_class = InspectionPagination
    filterset_class = None
    http_method_names = ["get", "post", "head", "options"]

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, inspection: Inspection, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(s.InspectionSerializer(self.get_queryset().get(pk=inspection.pk)).data, status=status_code)

    @extend_schema(
        summary="开始检查（现场发起，不经计划）",
        request=s.StartSerializer,
        responses={201: s.InspectionSerializer, **ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        inspection = services.inspection_start_on_spot(by=request.user, **self._input(s.StartSerializer))
        return self._answer(inspection, status.HTTP_201_CREATED)

    @extend_schema(summary="制定检查计划", request=s.PlanSerializer, responses={201: s.InspectionSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def plan(self, request: Request) -> Response:
        inspection = services.inspection_plan(by=request.user, **self._input(s.PlanSerializer))
        return self._answer(inspection, status.HTTP_201_CREATED)

    @extend_schema(summary="按计划开始检查", request=None, responses={200: s.InspectionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk=None) -> Response:
        return self._answer(services.inspection_start(inspection=self.get_object(), by=request.user))

    @extend_schema(
        summary="填写一项检查结果（不符合即登记隐患，同一项重复提交不重复登记）",
        request=s.AnswerInputSerializer,
        responses={200: s.AnswerSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk=None) -> Response:
        inspection = self.get_object()
        saved = services.answer_record(inspection=inspection, by=request.user, **self._input(s.AnswerInputSerializer))
        return Response(s.AnswerSerializer(saved).data)

    @extend_schema(
        summary="完成检查（被检查单位签字）",
        request=s.CompleteSerializer,
        responses={200: s.InspectionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None) -> Response:
        inspection = self.get_object()
        return self._answer(
            services.inspection_complete(inspection=inspection, by=request.user, **self._input(s.CompleteSerializer))
        )


@extend_schema_view(
    list=extend_schema(summary="已发布的检查表"), retrieve=extend_schema(summary="检查表详情（分节与检查项）")
)
class ChecklistTemplateViewSet(UnscopedReadOnlyViewSet):
    """检查表：已发布的版本，所有登录用户可读。"""

    queryset = ChecklistTemplate.objects.filter(published_at__isnull=False).prefetch_related(
        Prefetch(
            "sections",
            queryset=ChecklistSection.objects.prefetch_related(
                Prefetch("items", queryset=ChecklistItem.objects.select_related("standard_item"))
            ),
        )
    )
    serializer_class = s.ChecklistTemplateSerializer
    pagination_class = None
    filterset_class = None


class CampaignPagination(KeysetPagination):
    orderings = ("-created_at", "created_at")
    default_ordering = "-created_at"


@extend_schema_view(
    list=extend_schema(summary="专项整治列表（游标分页）"),
    retrieve=extend_schema(
        summary="专项整治详情（阶段与按区县的排查进度）", responses={200: s.CampaignDetailSerializer, 404: ERRORS[404]}
    ),
)
class CampaignViewSet(ScopedReadOnlyViewSet):
    """专项整治：部署机关辖区可见；启动后，整治对象所在区县及整治对象本身也可见。写操作均经由业务服务。"""

    queryset = Campaign.objects.select_related("issued_in").prefetch_related("sectors", "templates", "phases")
    serializer_class = s.CampaignSerializer
    pagination_class = CampaignPagination
    filterset_class = None
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return s.CampaignDetailSerializer if self.action != "list" else s.CampaignSerializer

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, campaign: Campaign, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=campaign.pk)
        return Response(
            s.CampaignDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        summary="部署专项整治（草拟）",
        request=s.CampaignCreateSerializer,
        responses={201: s.CampaignDetailSerializer, **ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        values = self._input(s.CampaignCreateSerializer)
        values["phases"] = [PhaseInput(**phase) for phase in values["phases"]]
        return self._answer(services.campaign_create(by=request.user, **values), status.HTTP_201_CREATED)

    @extend_schema(
        summary="确定整治对象（进行中只能增加）",
        request=s.CampaignTargetsSerializer,
        responses={200: s.CampaignDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def targets(self, request: Request, pk=None) -> Response:
        campaign = self.get_object()
        units = self._input(s.CampaignTargetsSerializer)["units"]
        return self._answer(services.campaign_set_targets(campaign=campaign, units=units, by=request.user))

    @extend_schema(summary="启动专项整治", request=None, responses={200: s.CampaignDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        return self._answer(services.campaign_activate(campaign=self.get_object(), by=request.user))

    @extend_schema(summary="结束专项整治", request=None, responses={200: s.CampaignDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        return self._answer(services.campaign_close(campaign=self.get_object(), by=request.user))

    @extend_schema(
        methods=["GET"],
        summary="报送快照（新的在前；按区县，调用者辖区内）",
        responses={200: s.SnapshotSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="生成报送快照（部署机关；冻结此刻的数据）",
        request=None,
        responses={201: s.SnapshotSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def snapshots(self, request: Request, pk=None) -> Response:
        from inspections.coverage import campaign_snapshots

        campaign = self.get_object()
        if request.method == "POST":
            taken = services.campaign_snapshot_take(campaign=campaign, by=request.user)
            snapshot = next(x for x in campaign_snapshots(campaign=campaign, user=request.user) if x.pk == taken.pk)
            return Response(s.SnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED)
        snapshots = campaign_snapshots(campaign=campaign, user=request.user)
        return Response(s.SnapshotSerializer(snapshots, many=True).data)
