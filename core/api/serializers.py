"""Serializers every API shares: strict input, and related fields restricted to the caller's jurisdiction;
and the background job's, which any app's export or import hands its caller."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from core.models import Job


class ErrorSerializer(serializers.Serializer):
    """The API's one error shape (core.api.errors), for the OpenAPI schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently ignored: a typo must not lose what the client meant."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - {name for name, field in self.fields.items() if not field.read_only})
            if unknown:
                raise exceptions.ValidationError({name: [_("不支持的字段。")] for name in unknown})
        return super().to_internal_value(data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


class ScopedRelatedFieldMixin:
    """Input choices are restricted by the same ``visible_to``: an id outside the caller's
    jurisdiction reads as "does not exist", exactly like one that never existed."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.context["request"].user)


class ScopedPrimaryKeyRelatedField(ScopedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(ScopedRelatedFieldMixin, serializers.SlugRelatedField):
    pass


class JobSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    percent = serializers.IntegerField(read_only=True, allow_null=True, help_text="完成百分比；总数未知时为 null")
    result_url = serializers.SerializerMethodField(help_text="结果文件的下载地址（仅发起人可下载）；无结果时为 null")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "state_display",
            "done",
            "total",
            "percent",
            "error",
            "result_url",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_result_url(self, job: Job) -> str | None:
        if not job.result:
            return None
        url = reverse("api:job-result", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
