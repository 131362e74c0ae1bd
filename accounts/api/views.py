"""Reference data for API clients and the browser app's pickers, scoped like everything else."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.api import serializers as s
from accounts.filtersets import RegionFilterSet, UnitFilterSet
from accounts.models import Region, ResponsibleUnit, Sector, SupervisingDepartment
from core.api.pagination import KeysetPagination
from core.api.viewsets import ScopedReadOnlyViewSet, UnscopedReadOnlyViewSet


class TokenView(generics.GenericAPIView):
    """取得 API 令牌。"""

    serializer_class = s.TokenRequestSerializer
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(summary="用用户名和密码换取令牌", responses={200: s.TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(generics.RetrieveAPIView):
    """当前用户：角色、辖区与所属单位。"""

    serializer_class = s.MeSerializer

    @extend_schema(summary="当前用户")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return Response(self.get_serializer(request.user).data)


@extend_schema_view(
    list=extend_schema(
        summary="行政区划（辖区内）",
        parameters=[
            OpenApiParameter("parent", str, description="上级区划代码：返回其直属下级；不填则返回本人辖区的根区划"),
            OpenApiParameter("level", str, description="层级：province/city/county/township/village"),
        ],
    ),
    retrieve=extend_schema(summary="按代码取区划"),
)
class RegionViewSet(ScopedReadOnlyViewSet):
    queryset = Region.objects.select_related("parent").order_by("code")
    serializer_class = s.RegionSerializer
    lookup_field = "code"
    pagination_class = None
    filterset_class = RegionFilterSet

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        filtered = super().filter_queryset(queryset)
        params = self.request.query_params
        if params.get("parent") or params.get("level"):
            return filtered
        return filtered & Region.objects.roots_for(self.request.user)


@extend_schema_view(list=extend_schema(summary="行业领域"), retrieve=extend_schema(summary="行业领域详情"))
class SectorViewSet(UnscopedReadOnlyViewSet):
    queryset = Sector.objects.select_related("parent", "department")
    serializer_class = s.SectorSerializer
    lookup_field = "code"
    pagination_class = None
    filterset_class = None


@extend_schema_view(list=extend_schema(summary="行业主管部门"), retrieve=extend_schema(summary="行业主管部门详情"))
class DepartmentViewSet(UnscopedReadOnlyViewSet):
    queryset = SupervisingDepartment.objects.all()
    serializer_class = s.DepartmentSerializer
    lookup_field = "code"
    pagination_class = None
    filterset_class = None


class UnitPagination(KeysetPagination):
    orderings = ("id", "-id")
    default_ordering = "id"


@extend_schema_view(
    list=extend_schema(
        summary="责任单位（辖区内）",
        parameters=[OpenApiParameter("q", str, description="按名称、统一社会信用代码或名称拼音首字母查找")],
    ),
    retrieve=extend_schema(summary="责任单位详情"),
)
class UnitViewSet(ScopedReadOnlyViewSet):
    queryset = ResponsibleUnit.objects.select_related("region")
    serializer_class = s.UnitSerializer
    pagination_class = UnitPagination
    filterset_class = UnitFilterSet
