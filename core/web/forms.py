"""The browser's form classes every app builds on: they parse what a user typed; services decide.

A ``BrowserForm`` carries a one-time ``form_token`` (its second submit does nothing twice,
``core.web.submit``) and draws Bootstrap's classes; an ``ActionForm`` also carries the ``version`` of the
object as the user saw it. Uploads are checked by the services (``core.uploads``), never by extension.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser as User
from django.core.exceptions import ValidationError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """A local date and time to the minute (the browser's own picker)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by the service, not by its extension here."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class BrowserForm(forms.Form):
    """A form whose second submit is recognised by its ``form_token``."""

    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4().hex)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        # Bootstrap shows a field's error only next to an input marked invalid.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's errors next to their fields; errors of fields this form lacks go on top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class ActionForm(BrowserForm):
    """An action on one object, as it stood (``version``) when ``user`` opened the form: a stale form is
    refused instead of overwriting someone else's change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class CascadeSelect(forms.Select):
    """The county → township → village selects all post as ``region``; the deepest choice counts."""

    def value_from_datadict(self, data, files, name):
        chosen = [value for value in data.getlist(name) if value] if hasattr(data, "getlist") else [data.get(name)]
        return chosen[-1] if chosen else None
