"""The browser's forms: they parse what a user typed; the services decide whether it is allowed.

Each action form carries the hazard's ``version`` as read when the page was drawn (a stale form is
refused instead of overwriting someone else's change) and a one-time ``form_token`` (a second submit
of the same form does nothing twice). Uploads that pass the content check are staged when any other
field is wrong, so the user never has to choose a photo again (``core.staging``).
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, ResponsibleUnit, Sector, User
from core.web.forms import ActionForm, BrowserForm, CascadeSelect, DateInput, DateTimeInput, MultipleFileField
from hazards import permissions
from hazards.choices import (
    AuthorityLevel,
    Category,
    Factor,
    Level,
    MajorStandard,
    Source,
    StopProduction,
    VerificationMethod,
)
from hazards.models import MAJOR_FIELDS, Hazard
from hazards.services import HazardDetails, MajorDetails

UNIT_OPTIONS_SHOWN = 30


def unit_options(field: forms.BoundField) -> list[tuple[str, str, bool]]:
    """A unit picker's first units by name plus the chosen one: its search box finds the rest."""
    units = field.field.queryset.only("pk", "name", "credit_code").order_by("name")
    value = str(field.value() or "")
    shown = list(units[:UNIT_OPTIONS_SHOWN])
    if value.isdigit() and all(str(unit.pk) != value for unit in shown):
        shown = [*units.filter(pk=int(value)), *shown]
    return [(str(unit.pk), unit.picker_label, str(unit.pk) == value) for unit in shown]


class AssignForm(ActionForm):
    unit = forms.ModelChoiceField(queryset=ResponsibleUnit.objects.none(), label=_("责任单位"))
    responsible_person = forms.CharField(max_length=64, label=_("整改责任人"))
    responsible_phone = forms.CharField(max_length=32, required=False, label=_("责任人电话"))
    requirements = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("整改要求"))
    deadline = forms.DateField(required=False, widget=DateInput, label=_("整改期限"))
    working_days = forms.IntegerField(
        required=False, min_value=1, max_value=365, label=_("或：自今日起工作日数"), help_text=_("二者填一项")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = ResponsibleUnit.objects.visible_to(self.user).filter(is_active=True)
        preview = f"#{self.auto_id % 'workdays-preview'}" if isinstance(self.auto_id, str) else ""
        self.fields["working_days"].widget.attrs.update(
            {
                "hx-get": reverse("hazards:working_days"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": preview,
            }
        )
        self.fields["unit"].error_messages["invalid_choice"] = _("所选责任单位不在您的辖区内或已停用。")

    def unit_options(self) -> list[tuple[str, str, bool]]:
        return unit_options(self["unit"])


class ReassignForm(AssignForm):
    """改派: a 交单 again, to another unit or on new terms, with the reason the first was wrong."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("改派理由"))


class SubmitForm(ActionForm):
    measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("整改措施"))
    completed_on = forms.DateField(widget=DateInput, label=_("整改完成日期"))
    cost = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0, label=_("整改资金（元）"))
    photos = MultipleFileField(label=_("整改后照片"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("completed_on", timezone.localdate())


class VerifyForm(ActionForm):
    method = forms.ChoiceField(choices=VerificationMethod.choices, label=_("验收方式"))
    opinion = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("验收意见"))
    photos = MultipleFileField(label=_("验收照片"))


class ReasonForm(ActionForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("理由"))


class AcknowledgeForm(ActionForm):
    pass


class ExtensionRequestForm(ActionForm):
    requested_deadline = forms.DateField(widget=DateInput, label=_("申请延至"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("延期理由"))


class ExtensionDecideForm(ActionForm):
    approve = forms.TypedChoiceField(
        choices=[("yes", _("同意延期")), ("no", _("不予延期"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        label=_("审批结果"),
    )
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("审批意见"), help_text=_("不予延期时必填")
    )


class SupervisionForm(ActionForm):
    """挂牌督办 at the supervisor's own level or one below; the authority and the 文号 follow from it."""

    authority_level = forms.ChoiceField(
        choices=AuthorityLevel.choices,
        label=_("督办级别"),
        help_text=_("督办单位为该级别的安委办，通知书文号自动编号。"),
    )
    requirements = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("督办要求"))
    deadline = forms.DateField(widget=DateInput, label=_("督办期限"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        levels = permissions.listing_levels(self.user)
        field = self.fields["authority_level"]
        field.choices = [(level.value, level.label) for level in levels]
        field.error_messages["invalid_choice"] = _("您只能挂牌本级及以下的督办。")
        if levels:
            self.initial.setdefault("authority_level", levels[0].value)


# --- 列单 ---------------------------------------------------------------------------------------------


class HazardForm(BrowserForm):
    """登记隐患 (列单): where, what, how serious; the 重大 fields count only for a major hazard."""

    region = forms.ModelChoiceField(
        queryset=Region.objects.none(), to_field_name="code", widget=CascadeSelect, label=_("所在区划")
    )
    address = forms.CharField(max_length=256, required=False, label=_("具体位置"))
    sector = forms.ModelChoiceField(queryset=Sector.objects.none(), to_field_name="code", label=_("行业领域"))
    level = forms.ChoiceField(choices=Level.choices, initial=Level.GENERAL, label=_("隐患等级"))
    # No preselected 类别 or 因素: a default nobody read would be saved as if someone had chosen it.
    category = forms.ChoiceField(choices=[("", _("请选择")), *Category.choices], label=_("隐患类别"))
    factor = forms.ChoiceField(choices=[("", _("请选择")), *Factor.choices], label=_("隐患因素"))
    source = forms.ChoiceField(choices=Source.choices, initial=Source.ROUTINE, label=_("隐患来源"))
    title = forms.CharField(max_length=200, label=_("隐患名称"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("隐患描述"))
    # Typed in later than found (the next day, back at the office): the service allows up to 30 days back.
    found_at = forms.DateTimeField(
        required=False, widget=DateTimeInput, label=_("发现时间"), help_text=_("默认为现在，可改为实际发现的时间")
    )
    inspected_unit = forms.ModelChoiceField(
        queryset=ResponsibleUnit.objects.none(),
        required=False,
        label=_("被检查单位"),
        help_text=_("在某单位检查时发现的，交单时默认交给该单位"),
    )
    photos = MultipleFileField(label=_("现场照片"))
    # A unit contact's own hazard (企业自查) is handed to their unit at once: person and deadline now.
    responsible_person = forms.CharField(max_length=64, required=False, label=_("整改责任人"))
    deadline = forms.DateField(required=False, widget=DateInput, label=_("整改期限"))
    # 重大事故隐患 only.
    major_standard = forms.ChoiceField(
        choices=[("", _("请选择判定标准")), *MajorStandard.choices], required=False, label=_("判定标准")
    )
    major_standard_item = forms.CharField(max_length=256, required=False, label=_("判定条款"))
    plan_measures = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("治理措施"))
    plan_responsibility = forms.CharField(required=False, label=_("治理责任"))
    plan_funds = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=0, label=_("治理资金（万元）")
    )
    plan_deadline = forms.DateField(required=False, widget=DateInput, label=_("治理时限"))
    plan_contingency = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("应急预案"))
    stop_production = forms.ChoiceField(
        choices=StopProduction.choices, initial=StopProduction.NONE, required=False, label=_("停产停业范围")
    )

    SELF_REPORT_FIELDS = ("responsible_person", "deadline")

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user)
        self.fields["region"].error_messages["invalid_choice"] = _("所选区划不在您的辖区内。")
        self.fields["sector"].queryset = Sector.objects.select_related("parent")
        self.fields["inspected_unit"].queryset = ResponsibleUnit.objects.visible_to(user).filter(is_active=True)
        self.fields["inspected_unit"].error_messages["invalid_choice"] = _("所选被检查单位不在您的辖区内或已停用。")
        if not self.is_bound:
            self.initial.setdefault("found_at", timezone.localtime().replace(second=0, microsecond=0))
        if user.unit_id:
            del self.fields["inspected_unit"]  # 企业自查: the unit is the contact's own

            self.initial.setdefault("source", Source.SELF_CHECK)
            for name in self.SELF_REPORT_FIELDS:
                self.fields[name].required = True
        else:
            for name in self.SELF_REPORT_FIELDS:
                del self.fields[name]

    def unit_options(self) -> list[tuple[str, str, bool]]:
        return unit_options(self["inspected_unit"]) if "inspected_unit" in self.fields else []

    def cascade_region(self) -> Region | None:
        """The region the cascade of selects is drawn down to: as submitted, or as the form began."""
        if "region" not in self.fields:
            return None
        if self.is_bound:
            code = self.fields["region"].widget.value_from_datadict(self.data, self.files, self.add_prefix("region"))
        else:
            code = self.initial.get("region")
        return self.fields["region"].queryset.filter(code=code).first() if code else None

    def clean(self):
        data = super().clean()
        if data.get("level") == Level.MAJOR:
            if not data.get("major_standard"):
                self.add_error("major_standard", _("重大事故隐患须写明判定标准。"))
            if not (data.get("major_standard_item") or "").strip():
                self.add_error("major_standard_item", _("请填写所符合的判定条款。"))
        return data

    def details(self) -> HazardDetails:
        data = self.cleaned_data
        major = None
        if data["level"] == Level.MAJOR:
            values = {name: data[name] for name in MAJOR_FIELDS}
            values["stop_production"] = values["stop_production"] or StopProduction.NONE
            major = MajorDetails(**values)
        return HazardDetails(
            region=data["region"],
            sector=data["sector"],
            title=data["title"],
            description=data["description"],
            category=data["category"],
            factor=data["factor"],
            source=data["source"],
            level=data["level"],
            address=data["address"],
            found_at=data.get("found_at"),
            inspected_unit=data.get("inspected_unit"),
            major=major,
        )


class HazardEditForm(HazardForm):
    """修改信息: the fields of 列单 that may still change in the hazard's status, as they stand now.

    Each field also posts the value it was drawn with (``show_hidden_initial``), so only what this user
    changed is saved: a correction never writes back the old value of a field someone else changed.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, hazard: Hazard, editable: frozenset[str], **kwargs):
        self.hazard = hazard
        super().__init__(*args, user=kwargs.pop("user"), **kwargs)
        for name in list(self.fields):
            if name not in editable | {"form_token", "version"}:
                del self.fields[name]
            elif name in editable:
                self.fields[name].show_hidden_initial = True
        if not self.is_bound:
            self.initial["version"] = hazard.version
            for name in self.fields:
                if name in editable:
                    value = getattr(hazard, name)
                    self.initial[name] = value.code if name in ("region", "sector") else value

    def clean(self):
        # The rules that tie fields together (major needs its standard) are the service's to apply
        # to the record as it will be; this form only parses.
        return forms.Form.clean(self)

    def initial_region(self) -> str:
        """The region the page was drawn with (the cascade draws its selects itself)."""
        return self.data.get("initial-region", "") if self.is_bound else self.initial.get("region", "")

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {name: data[name] for name in self.changed_data if name not in ("form_token", "version")}
        if "stop_production" in changes:
            changes["stop_production"] = changes["stop_production"] or StopProduction.NONE
        return changes
