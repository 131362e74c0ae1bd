"""Serializers every API shares: strict input, and related fields restricted to the caller's jurisdiction."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers


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
