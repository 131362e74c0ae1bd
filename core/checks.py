"""`manage.py check --deploy`: the plain-HTTP intranet mode explained once, instead of four warnings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Info, Tags, register


@register(Tags.security, deploy=True)
def plain_http_mode(app_configs, **kwargs) -> list[Info]:
    if not getattr(settings, "PLAIN_HTTP", False):
        return []
    return [
        Info(
            "PLAIN_HTTP=1: the site is served over plain HTTP inside an intranet, as declared.",
            hint=(
                "Passwords, session cookies and evidence cross the intranet unencrypted, and there is no "
                "HSTS or redirect to HTTPS (security.W004, W008, W012 and W016 are silenced for this "
                "reason). Put a TLS reverse proxy in front and unset PLAIN_HTTP as soon as one is available."
            ),
            id="core.I001",
        )
    ]
