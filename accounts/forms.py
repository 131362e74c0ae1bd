"""The sign-in forms of the browser app and the admin, both behind the login limit (core.login_limit), and
the query parameters of the form pickers, read through form fields (a NUL byte is a 400, not a 500)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from core import login_limit
from core.filters import BIGINT_MAX


class LimitedLoginMixin:
    """``AuthenticationForm.clean`` with the password checked through the shared login limit."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = login_limit.authenticate(self.request, username=username, password=password)
            except login_limit.LoginLocked as locked:
                raise forms.ValidationError(locked.message, code="locked") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginForm(LimitedLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(LimitedLoginMixin, AdminAuthenticationForm):
    pass


class RegionCascadeQuery(forms.Form):
    region = forms.CharField(required=False, max_length=12)
    parent = forms.CharField(required=False, max_length=12)


class UnitOptionsQuery(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    unit = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    # The same picker chooses 登记's inspected unit.
    inspected_unit = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
