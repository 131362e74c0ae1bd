"""The dashboard's period picker: 本月, 本季度, 本年, or two dates."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from core.filters import BoundedDateField
from reports.dashboard import PERIODS, Period, preset

# A custom period compares with the year before it; longer ones belong to an export.
MAX_DAYS = 366 * 3


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("期间"), choices=list(PERIODS.items()), required=False)
    found_from = BoundedDateField(label=_("发现日期起"), required=False)
    found_to = BoundedDateField(label=_("发现日期止"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("found_from"), data.get("found_to")
            if start is None or end is None:
                raise forms.ValidationError(_("自定义期间须填写起止日期。"), code="required")
            if start > end:
                raise forms.ValidationError(_("起始日期不能晚于截止日期。"), code="order")
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("自定义期间最长三年。"), code="too_long")
        return data

    def chosen(self, today: datetime.date) -> Period:
        """The period asked for; 本年 when nothing (or something wrong) was asked."""
        data = self.cleaned_data if self.is_valid() else {}
        kind = data.get("period") or "year"
        if kind == "custom":
            return Period("custom", data["found_from"], data["found_to"])
        return preset(kind, today)
