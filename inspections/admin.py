"""Admin: the 判定标准 items to read, checklist templates to draft, publish and version."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyMixin
from core.errors import DomainError
from inspections import services
from inspections.models import (
    Answer,
    Campaign,
    CampaignPhase,
    CampaignTarget,
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    Inspection,
    StandardItem,
)


@admin.register(StandardItem)
class StandardItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("document_number", "article", "item_number", "text", "abridged", "effective_from")
    list_filter = ("standard", "abridged")
    search_fields = ("text", "document_number")


class ChecklistItemInline(admin.StackedInline):
    model = ChecklistItem
    extra = 0
    autocomplete_fields = ("standard_item",)


@admin.register(ChecklistSection)
class ChecklistSectionAdmin(admin.ModelAdmin):
    list_display = ("title", "template", "order")
    inlines = [ChecklistItemInline]

    def has_change_permission(self, request, obj=None) -> bool:
        # A published version never changes: make a new version instead.
        return super().has_change_permission(request, obj) and not (obj and obj.template.is_published)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "template":
            kwargs["queryset"] = ChecklistTemplate.objects.filter(published_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ChecklistSectionInline(admin.TabularInline):
    model = ChecklistSection
    extra = 0
    show_change_link = True


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "version", "sector", "kind", "published_at")
    list_filter = ("kind",)
    readonly_fields = ("published_at",)
    inlines = [ChecklistSectionInline]
    actions = ["publish", "new_version"]

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    @admin.action(description=_("发布所选版本"))
    def publish(self, request, queryset) -> None:
        for template in queryset:
            self._run(request, services.template_publish, template=template)

    @admin.action(description=_("以所选版本为底稿新建版本"))
    def new_version(self, request, queryset) -> None:
        for template in queryset:
            self._run(request, services.template_new_version, template=template)

    def _run(self, request, service, **kwargs) -> None:
        try:
            service(by=request.user, **kwargs)
        except (DomainError, ValidationError) as error:
            self.message_user(request, "；".join(getattr(error, "messages", [str(error)])), messages.ERROR)


class AnswerInline(ReadOnlyMixin, admin.TabularInline):
    model = Answer
    extra = 0


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("unit", "kind", "status", "planned_on", "started_at", "completed_at")
    list_filter = ("kind", "status")
    inlines = [AnswerInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class CampaignPhaseInline(ReadOnlyMixin, admin.TabularInline):
    model = CampaignPhase
    extra = 0


class CampaignTargetInline(ReadOnlyMixin, admin.TabularInline):
    model = CampaignTarget
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """专项整治 are made and moved on their pages (inspections.services); here they are only read."""

    list_display = ("name", "status", "issued_in", "starts_on", "ends_on")
    list_filter = ("status",)
    inlines = [CampaignPhaseInline, CampaignTargetInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
