"""Reference data for API clients and the browser app's pickers, scoped like everything else."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.api import serializers as s
from accounts.api.authentication import TokenAuthentication
from accounts.filtersets import RegionFilterSet, UnitFilterSet
from accounts.models import Region, ResponsibleUnit, Sector, SupervisingDepartment
from accounts.tokens import token_issue, token_revoke, token_rotate
from core.api.pagination import KeysetPagination
from core.api.serializers import ErrorSerializer
from core.api.viewsets import ScopedReadOnlyViewSet, UnscopedReadOnlyViewSet

BAD_CREDENTIALS = OpenApiResponse(ErrorSerializer, description="用户名或密码不正确")
BAD_TOKEN = OpenApiResponse(ErrorSerializer, description="令牌无效、已过期或已注销")
THROTTLED = OpenApiResponse(ErrorSerializer, description="过于频繁，见 Retry-After")


class TokenView(generics.GenericAPIView):
    """取得 API 令牌（用户名和密码），或注销当前令牌。"""

    serializer_class = s.TokenRequestSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    # Taking a token needs no credentials; giving one up needs that very token. (The schema generator
    # asks once before it sets ``request``.)
    def _revoking(self) -> bool:
        return getattr(self.request, "method", None) == "DELETE"

    def get_authenticators(self) -> list:
        return [TokenAuthentication()] if self._revoking() else []

    def get_permissions(self) -> list:
        return [IsAuthenticated()] if self._revoking() else [AllowAny()]

    @extend_schema(
        summary="用用户名和密码换取令牌（只在此时返回一次；库中只存其摘要）",
        responses={200: s.TokenSerializer, 400: BAD_CREDENTIALS, 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = token_issue(user=serializer.validated_data["user"])
        return Response(s.TokenSerializer({"token": key, "expires_at": token.expires_at}).data)

    @extend_schema(summary="注销本请求所用的令牌", request=None, responses={204: None, 401: BAD_TOKEN, 429: THROTTLED})
    def delete(self, request: Request) -> Response:
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRotateView(generics.GenericAPIView):
    """以新令牌替换本请求所用的令牌。"""

    authentication_classes = [TokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        summary="轮换令牌：签发新令牌（重新计算到期时间），本请求所用的令牌随即失效",
        request=None,
        responses={200: s.TokenSerializer, 401: BAD_TOKEN, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        rotated = token_rotate(token=request.auth)
        if rotated is None:  # rotated or revoked by a concurrent request
            raise exceptions.AuthenticationFailed()
        token, key = rotated
        return Response(s.TokenSerializer({"token": key, "expires_at": token.expires_at}).data)


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
        parameters=[
            OpenApiParameter("q", str, description="按名称、统一社会信用代码或名称拼音首字母查找"),
            OpenApiParameter("sector", str, description="行业领域代码：该行业及其下级行业的单位"),
        ],
    ),
    retrieve=extend_schema(summary="责任单位详情"),
)
class UnitViewSet(ScopedReadOnlyViewSet):
    queryset = ResponsibleUnit.objects.select_related("region", "sector")
    serializer_class = s.UnitSerializer
    pagination_class = UnitPagination
    filterset_class = UnitFilterSet
