from rest_framework import serializers

from reminders.models import InboxMessage


class InboxMessageSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = InboxMessage
        fields = ["id", "title", "body", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, message: InboxMessage) -> bool:
        return message.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
