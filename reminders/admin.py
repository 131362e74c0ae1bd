from django.contrib import admin

from hazards.admin import EstimatedCountPaginator
from reminders.models import InboxMessage, Notification, ReminderRule, RobotTarget


@admin.register(RobotTarget)
class RobotTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "is_active", "disabled_reason")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ("region",)


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "event",
        "level",
        "supervised",
        "region",
        "anchor",
        "offset_days",
        "day_kind",
        "repeat_daily",
        "immediate",
        "is_active",
    )
    list_filter = ("is_active", "event", "anchor", "level", "immediate")
    search_fields = ("name",)
    autocomplete_fields = ("region",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The ledger: searchable by hazard number or recipient, never edited by hand."""

    list_display = (
        "hazard",
        "rule",
        "anchor_date",
        "occurrence",
        "recipient",
        "channel",
        "status",
        "attempts",
        "retry_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel", "immediate")
    search_fields = ("hazard__number", "recipient__username", "recipient__full_name")
    list_select_related = ("hazard", "rule", "recipient", "target")
    show_full_result_count = False
    # The ledger grows by hundreds of thousands of rows a day at scale: newest first by the primary key
    # (rows are written in time order; created_at has no index), and the pager from the planner's estimate.
    ordering = ("-id",)
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "created_at", "read_at")
    search_fields = ("title", "recipient__username")
    list_select_related = ("recipient",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
