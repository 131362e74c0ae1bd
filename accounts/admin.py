"""Admin of the reference data (区划, 主管部门, 责任单位) and users, for the 系统管理员."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import ApiToken, Region, ResponsibleUnit, Sector, SupervisingDepartment, User
from accounts.permissions import may_manage_units


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    search_help_text = _("按区划代码或名称查找")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
    fields = ("code", "name", "level", "parent", "path")
    ordering = ("code",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> tuple[str, ...]:
        # Code, level and parent make up ``path``, which jurisdiction (visible_to) and every hazard's
        # county rest on; saving one region does not rewrite its descendants, so they are fixed once made.
        if obj is not None:
            return ("code", "level", "parent", "path")
        return self.readonly_fields


@admin.register(SupervisingDepartment)
class SupervisingDepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    search_help_text = _("按代码或名称查找")


class ResponsibleUnitForm(forms.ModelForm):
    class Meta:
        model = ResponsibleUnit
        fields = (
            "name",
            "kind",
            "credit_code",
            "industry_code",
            "sector",
            "is_active",
            "region",
            "address",
            "contact_name",
            "contact_phone",
        )

    def clean_credit_code(self) -> str:
        # The model upper-cases on save; do it before the check character is validated, so a code typed
        # in lower case is not refused.
        return (self.cleaned_data.get("credit_code") or "").strip().upper()


@admin.register(ResponsibleUnit)
class ResponsibleUnitAdmin(admin.ModelAdmin):
    form = ResponsibleUnitForm
    list_display = ("name", "kind", "sector", "region", "credit_code", "contact", "is_active")
    list_filter = ("kind", "sector", "is_active")
    search_fields = ("name", "credit_code", "name_initials")
    search_help_text = _("按单位名称、统一社会信用代码或名称拼音首字母查找")
    list_select_related = ("region", "sector__parent")
    autocomplete_fields = ("region",)
    readonly_fields = ("name_initials",)
    fieldsets = (
        (None, {"fields": ("name", "name_initials", "kind", "credit_code", "sector", "industry_code", "is_active")}),
        (_("位置与联系人"), {"fields": ("region", "address", "contact_name", "contact_phone")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResponsibleUnit]:
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "sector":
            # A sector's name includes its parent's, so load parents with the choices.
            kwargs["queryset"] = Sector.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("联系人"), ordering="contact_name")
    def contact(self, unit: ResponsibleUnit) -> str:
        return " ".join(part for part in (unit.contact_name, unit.contact_phone) if part)

    def has_delete_permission(self, request: HttpRequest, obj: ResponsibleUnit | None = None) -> bool:
        # Nothing is ever lost (docs/design.md): a unit that no longer exists is 停用 (is_active), not deleted.
        return False

    # Units are the administrator's to keep (accounts/permissions.py), here as in the Excel import, and
    # both write through accounts.services.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_units(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: ResponsibleUnit | None = None) -> bool:
        return may_manage_units(request.user) and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ResponsibleUnit, form, change: bool) -> None:
        details = services.UnitDetails(
            name=obj.name,
            region=obj.region,
            kind=obj.kind,
            credit_code=obj.credit_code,
            address=obj.address,
            contact_name=obj.contact_name,
            contact_phone=obj.contact_phone,
            industry_code=obj.industry_code,
            sector=obj.sector,
            is_active=obj.is_active,
        )
        if change:
            recorded = ResponsibleUnit.objects.get(pk=obj.pk)
            obj.name_initials = services.unit_update(unit=recorded, details=details, by=request.user).name_initials
        else:
            obj.pk = services.unit_create(details=details, by=request.user).pk


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # Django's own add form carries a sentence its zh_Hans catalogue does not translate.
    add_form_template = "admin/accounts/user/add_form.html"
    list_display = ("username", "full_name", "role", "region", "unit", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    search_help_text = _("按用户名、姓名或手机号查找")
    list_select_related = ("region", "unit")
    autocomplete_fields = ("region", "unit")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email")}),
        (_("角色与辖区"), {"fields": ("role", "region", "unit")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("个人信息"), {"classes": ("wide",), "fields": ("full_name", "phone")}),
        (_("角色与辖区"), {"classes": ("wide",), "fields": ("role", "region", "unit")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Users are actors of hazard events and reminders; someone who leaves is deactivated (is_active).
        return False


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "department", "sort_order")
    list_filter = ("department",)
    search_fields = ("code", "name")
    search_help_text = _("按代码或名称查找")
    list_select_related = ("parent", "department")

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "parent":
            # A sector's name includes its parent's, so load parents with the choices.
            kwargs["queryset"] = Sector.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Issued only through the API, which shows the key once; here a token is seen and revoked (deleted)."""

    list_display = ("user", "created_at", "expires_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__full_name")
    search_help_text = _("按用户名或姓名查找")
    fields = ("user", "created_at", "expires_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False
