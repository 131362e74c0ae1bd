"""The caller's in-app inbox: reminders and digests, with read/unread."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.pagination import KeysetPagination
from core.api.viewsets import ScopedReadOnlyViewSet
from reminders.api.serializers import InboxMessageSerializer, UnreadCountSerializer
from reminders.models import InboxMessage

# A badge never needs more than this: "99+" is what it shows beyond.
UNREAD_COUNT_CAP = 100


class InboxPagination(KeysetPagination):
    orderings = ("-created_at",)
    default_ordering = "-created_at"


UNREAD = {"true": True, "1": True, "false": False, "0": False}


@extend_schema_view(
    list=extend_schema(
        summary="我的站内消息",
        parameters=[OpenApiParameter("unread", bool, description="只看未读")],
    ),
    retrieve=extend_schema(summary="站内消息详情"),
)
class InboxViewSet(ScopedReadOnlyViewSet):
    queryset = InboxMessage.objects.all()
    serializer_class = InboxMessageSerializer
    pagination_class = InboxPagination
    filterset_class = None
    extra_query_parameters = ("unread",)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        unread = self.request.query_params.get("unread")
        if self.action != "list" or unread is None:
            return queryset
        if unread not in UNREAD:
            raise exceptions.ValidationError({"unread": [_("应为 true 或 false。")]})
        return queryset.unread() if UNREAD[unread] else queryset

    @extend_schema(summary="标为已读", request=None, responses={200: InboxMessageSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk=None) -> Response:
        message = self.get_object()
        InboxMessage.objects.filter(pk=message.pk).mark_read()
        message.refresh_from_db()
        return Response(self.get_serializer(message).data)

    @extend_schema(summary="未读条数（最多数到 100，供角标显示）", responses={200: UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None)
    def unread_count(self, request: Request) -> Response:
        unread = self.get_queryset().unread()[:UNREAD_COUNT_CAP].count()
        return Response({"unread": unread})
