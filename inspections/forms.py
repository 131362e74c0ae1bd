"""What an inspector types: the start of an inspection, one item's answer, the completion."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import Region, ResponsibleUnit, Sector, User
from core.web.forms import BrowserForm, DateInput
from hazards.choices import Level, MajorStandard
from inspections.choices import DEFAULT_PHASES, CampaignStatus, Kind, Result
from inspections.models import Campaign, ChecklistTemplate
from inspections.services import PhaseInput


class StartForm(BrowserForm):
    """开始检查 on the spot: which unit, with which checklist. A unit's contact checks its own unit (企业自查)."""

    kind = forms.ChoiceField(label=_("检查类型"), choices=Kind.choices)
    unit = forms.ModelChoiceField(label=_("被检查单位"), queryset=ResponsibleUnit.objects.none())
    template = forms.ModelChoiceField(label=_("检查表"), queryset=ChecklistTemplate.objects.none())
    sector = forms.ModelChoiceField(
        label=_("行业领域"),
        queryset=Sector.objects.filter(parent__isnull=False),
        required=False,
        help_text=_("不填则按检查表的行业领域。"),
    )
    team = forms.CharField(label=_("检查组成员"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = ResponsibleUnit.objects.visible_to(user).filter(is_active=True)
        self.fields["template"].queryset = ChecklistTemplate.objects.filter(published_at__isnull=False)
        if user.role == Role.UNIT_CONTACT:
            self.fields["kind"].choices = [(Kind.SELF_CHECK, Kind.SELF_CHECK.label)]
        else:
            self.fields["kind"].choices = [(k, label) for k, label in Kind.choices if k != Kind.SELF_CHECK]


class PlanForm(StartForm):
    """制定计划: a visit on a day, with its leader; a 四不两直 visit stays hidden from the unit until its
    first hazard."""

    planned_on = forms.DateField(label=_("计划日期"), widget=DateInput)
    leader = forms.ModelChoiceField(label=_("检查组长"), queryset=User.objects.none(), required=False)
    campaign = forms.ModelChoiceField(
        label=_("专项整治"),
        queryset=Campaign.objects.none(),
        required=False,
        help_text=_("属于某项进行中的专项整治的，选择后计入其排查进度。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user).filter(status=CampaignStatus.ACTIVE)
        self.fields["kind"].choices = [(k, label) for k, label in Kind.choices if k != Kind.SELF_CHECK]
        # The leader inspects, so logs hazards: a county officer the planner can see.
        officers = User.objects.filter(role=Role.COUNTY_OFFICER, is_active=True)
        self.fields["leader"].queryset = officers.filter(region__in=Region.objects.visible_to(user)).order_by(
            "username"
        )
        self.fields["leader"].label_from_instance = lambda u: f"{u.get_full_name() or u.username}（{u.region}）"


class AnswerForm(forms.Form):
    """One item: saved as soon as a result is tapped, so it carries no form token (an answer is an upsert)."""

    result = forms.ChoiceField(label=_("结果"), choices=Result.choices)
    comment = forms.CharField(label=_("说明"), max_length=2000, required=False)
    level = forms.ChoiceField(label=_("隐患等级"), choices=[("", "—"), *Level.choices], required=False)


class CompleteForm(BrowserForm):
    summary = forms.CharField(label=_("检查小结"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    acknowledged_by_name = forms.CharField(
        label=_("被检查单位签字人"),
        max_length=50,
        required=False,
        help_text=_("被检查单位负责人当面签字确认（填写姓名）。"),
    )

    def cleaned_data_for_service(self) -> dict[str, str]:
        return {
            "summary": self.cleaned_data["summary"],
            "acknowledged_by_name": self.cleaned_data["acknowledged_by_name"],
        }


class PeriodForm(forms.Form):
    """A period of local dates, both ends included; this year so far unless given; a sector (and its
    sub-sectors) when chosen."""

    start = forms.DateField(label=_("起"), widget=DateInput(attrs={"class": "form-control"}), required=False)
    end = forms.DateField(label=_("止"), widget=DateInput(attrs={"class": "form-control"}), required=False)
    sector = forms.ModelChoiceField(
        label=_("行业领域"),
        queryset=Sector.objects.select_related("parent").order_by("sort_order", "code"),
        to_field_name="code",
        required=False,
        empty_label=_("全部行业"),
        error_messages={"invalid_choice": _("行业领域不存在。")},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    county = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)

    def clean(self):
        values = super().clean()
        today = timezone.localdate()
        values["start"] = values.get("start") or today.replace(month=1, day=1)
        values["end"] = values.get("end") or today
        if values["start"] > values["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"), code="order")
        if (values["end"] - values["start"]).days > 366 * 5:
            raise forms.ValidationError(_("统计期间最长五年。"), code="too_long")
        return values


PHASE_ROWS = 4


class CampaignForm(BrowserForm):
    """部署专项整治: name, sectors, the 判定标准 and checklists applied, and up to four dated phases."""

    name = forms.CharField(label=_("名称"), max_length=100)
    sectors = forms.ModelMultipleChoiceField(
        label=_("涉及行业领域"),
        queryset=Sector.objects.order_by("sort_order", "code"),
        widget=forms.CheckboxSelectMultiple,
    )
    standards = forms.MultipleChoiceField(
        label=_("适用判定标准"), choices=MajorStandard.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    templates = forms.ModelMultipleChoiceField(
        label=_("适用检查表"),
        queryset=ChecklistTemplate.objects.filter(published_at__isnull=False),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, PHASE_ROWS + 1):
            self.fields[f"phase_{n}_name"] = forms.CharField(
                label=_("第 %(n)d 阶段") % {"n": n}, max_length=50, required=False, initial=DEFAULT_PHASES[n - 1]
            )
            self.fields[f"phase_{n}_start"] = forms.DateField(label=_("开始日期"), widget=DateInput, required=False)
            self.fields[f"phase_{n}_end"] = forms.DateField(label=_("结束日期"), widget=DateInput, required=False)

    def phase_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"phase_{n}_name"], self[f"phase_{n}_start"], self[f"phase_{n}_end"]) for n in range(1, 5)]

    def clean(self):
        values = super().clean()
        phases = []
        for n in range(1, PHASE_ROWS + 1):
            name, start, end = (values.get(f"phase_{n}_{part}") for part in ("name", "start", "end"))
            if not (start or end):
                continue  # an unused row, whatever name it was offered with
            if not (name and start and end):
                self.add_error(f"phase_{n}_name", _("请填写该阶段的名称和起止日期，或留空整行。"))
                continue
            phases.append(PhaseInput(name=name, starts_on=start, ends_on=end))
        values["phases"] = phases
        return values


class CampaignTargetsForm(BrowserForm):
    """确定整治对象: the units of the issuer's jurisdiction the campaign must reach."""

    units = forms.ModelMultipleChoiceField(
        label=_("整治对象"),
        queryset=ResponsibleUnit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("可多选（按住 Ctrl 或 ⌘）。进行中的专项整治只能增加整治对象。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = (
            ResponsibleUnit.objects.visible_to(user)
            .filter(is_active=True)
            .select_related("region")
            .order_by("region__code", "name")
        )
        self.fields["units"].label_from_instance = lambda u: f"{u.name}（{u.region}）"
