"""Filters for query parameters, shared by the API and the pages: each value is parsed by a form field
with bounds, so nothing reaches the database that it would refuse (a NUL byte, an id beyond bigint, a
time-zone offset PostgreSQL cannot store: those answer 400, never 500)."""

from __future__ import annotations

import copy
import datetime

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

# Outside these years a date is a typing mistake, and local-midnight arithmetic on it could overflow.
EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2101, 1, 1, tzinfo=datetime.UTC)
OUT_OF_RANGE = _("时间应在 1900 年至 2100 年之间。")
BIGINT_MAX = 2**63 - 1
# The same years as a pattern, for the API's schema (core/api/schema.py).
YEARS = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time with its year, as written, from 1900 to 2100 (what the API's schema can say:
    ``YEARS``), converted to UTC.

    Any offset Python parses (up to ±23:59) is accepted and converted, so the database only ever sees
    UTC: PostgreSQL refuses a displacement of 16 hours or more."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range") from None
        if parsed is None:
            return None
        if not EARLIEST.year <= parsed.year < LATEST.year:
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return parsed.astimezone(datetime.UTC)


class BoundedDateField(forms.DateField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None and not EARLIEST.date() <= parsed < LATEST.date():
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return parsed


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class DateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number a bigint column holds (NumberFilter would take 1.5 or 2**64)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or ``1``/``0``), blank for no filter; anything else is a 400, where Django's
    select would read it as "no filter" and answer every row."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise forms.ValidationError(_("应为 true 或 false。"), code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, with what does not change between requests made once per class.

    django-filter deep-copies every filter of the class and builds a new form class of new fields for
    each filterset it makes: ~3 ms of CPU a request for the hazards' 30 filters, on the list page's and
    the API's every request. Here each filter is copied shallowly (its own ``parent``, and its own
    ``FilterMethod`` calling this filterset's method), and the form class is built once from the class's
    filters (the form deep-copies its fields per instance anyway). For filters whose field depends on
    the request (a queryset chosen per request) this base class does not do: none here has one."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            if base.method is not None:
                filter_.method = base.method  # a FilterMethod of the copy's own
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    @classmethod
    def form_class(cls) -> type[forms.Form]:
        if "_form_class" not in cls.__dict__:
            fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
            cls._form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        return cls.__dict__["_form_class"]

    def get_form_class(self) -> type[forms.Form]:
        return self.form_class()
