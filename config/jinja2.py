"""The Jinja2 environment of templates/jinja2/ (TEMPLATES in config/settings.py), made when a template of it
is first rendered: a name a template misspells fails loudly instead of printing nothing."""

from __future__ import annotations

from typing import Any

import jinja2


def environment(**options: Any) -> jinja2.Environment:
    options["undefined"] = jinja2.StrictUndefined
    return jinja2.Environment(**options)
