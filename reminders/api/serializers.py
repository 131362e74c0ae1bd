from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reminders.models import InboxMessage


class InboxItemSerializer(serializers.Serializer):
    """One line of a message that names a hazard, with the hazard's address in the API and on the site."""

    hazard = serializers.IntegerField()
    text = serializers.CharField()
    url = serializers.CharField()
    page = serializers.CharField()


class InboxMessageSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta:
        model = InboxMessage
        fields = ["id", "title", "body", "items", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, message: InboxMessage) -> bool:
        return message.read_at is not None

    @extend_schema_field(InboxItemSerializer(many=True))
    def get_items(self, message: InboxMessage) -> list[dict]:
        return [
            {
                "hazard": hazard_id,
                "text": text,
                "url": reverse("api:hazard-detail", args=[hazard_id]),
                "page": reverse("hazards:detail", args=[hazard_id]),
            }
            for hazard_id, text in message.items
        ]


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
