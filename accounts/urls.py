"""Signing in and out, and the form pickers, mounted at the site root by config/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import LoginForm
from accounts.imports import UNITS
from core.imports.views import urlpatterns as import_urlpatterns

app_name = "accounts"

urlpatterns = [
    path("pickers/regions/", views.region_cascade_view, name="region_cascade"),
    path("pickers/units/", views.unit_options, name="unit_options"),
    *import_urlpatterns(UNITS, "units/import/"),
]

# Login and logout live outside the app namespace, where LOGIN_URL and the templates expect them.
auth_urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
