"""The action panel of a detail page: a table of ``ActionSpec``, one per form a user may post.

An app declares its specs (``hazards/views/actions.py``); the transition table and the jurisdiction
decide which actions are open (``allowed``), each spec adds the business condition that makes its form
worth offering and calls exactly one service. The services check everything again: the panel only avoids
offering dead ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser as User
from django.core.files.uploadedfile import UploadedFile

from core.web.forms import ActionForm

# (object, actor, the form's cleaned data, uploads) → whatever the service returns.
Perform = Callable[[Any, User, dict[str, Any], Sequence[UploadedFile]], object]


@dataclass(frozen=True)
class ActionSpec:
    slug: str
    actions: tuple[str, ...]
    form: type[ActionForm]
    title: str
    button: str
    done: str
    perform: Perform
    style: str = "primary"
    photos_required: bool = False
    # Beyond the transition table: is this form worth offering for this object now? (object, panel state)
    available: Callable[[Any, Any], bool] = lambda obj, state: True
    # What a fresh form starts with beyond the object's version (e.g. the last report, to resubmit).
    initial: Callable[[Any], dict[str, Any]] = lambda obj: {}

    def make_form(self, *args, user: User, **kwargs) -> ActionForm:
        # Several forms share a page: their field ids carry the action's name.
        return self.form(*args, user=user, auto_id=f"{self.slug}-%s", **kwargs)


@dataclass
class PanelEntry:
    spec: ActionSpec
    form: ActionForm
    staged: list
    open: bool


def available_specs(specs: Sequence[ActionSpec], obj: Any, allowed: frozenset[str], state: Any) -> list[ActionSpec]:
    """The forms to offer for ``obj`` now, in the order of ``specs``."""
    return [spec for spec in specs if allowed.intersection(spec.actions) and spec.available(obj, state)]


def action_panel(
    specs: Sequence[ActionSpec],
    user: User,
    obj: Any,
    *,
    allowed: frozenset[str],
    state: Any,
    bound: tuple[str, ActionForm, list] | None = None,
) -> list[PanelEntry]:
    """A fresh form per available action, or the submitted one (with its errors and staged photos)."""
    entries = []
    for spec in available_specs(specs, obj, allowed, state):
        if bound and bound[0] == spec.slug:
            entries.append(PanelEntry(spec, bound[1], bound[2], open=True))
        else:
            form = spec.make_form(user=user, initial={**spec.initial(obj), "version": obj.version})
            entries.append(PanelEntry(spec, form, [], open=False))
    return entries
