"""A browser form's second submit (a double click, a reload, Back then submit, a flaky phone network)
does nothing twice: each form carries a random ``form_token``, run once through ``core.idempotency``
under a ``form:`` prefix in the table the API's ``Idempotency-Key`` uses.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import User
from core import idempotency


def _key(token: str) -> str:
    return f"form:{token}"


def earlier_result(user: User, token: str) -> str | None:
    """Where the first submit of this form went, if it has already succeeded."""
    outcome = idempotency.recorded(user=user, key=_key(token))
    return outcome.body.get("location") if outcome else None


def submit_once(user: User, token: str, fingerprint: str, perform: Callable[[], str]) -> tuple[str, bool]:
    """Run ``perform`` (which returns the URL to go to next) unless this form already ran.

    Returns the URL and whether this submit was a repeat. Errors of ``perform`` propagate and roll
    back the token with everything else, so a corrected form can be sent again.
    """

    def run() -> tuple[str, int, dict]:
        location = perform()
        return location, 303, {"location": location}

    outcome = idempotency.perform_once(user=user, key=_key(token), fingerprint=fingerprint, perform=run)
    return outcome.body["location"], outcome.replayed


def already_done(request: HttpRequest, location: str) -> HttpResponseRedirect:
    """Where a repeated submit goes: to the first one's result, with a word of why nothing happened."""
    messages.info(request, _("这份表单已经提交过，没有重复办理。"))
    return redirect(location)


def done(request: HttpRequest, location: str, *, repeated: bool, message: str) -> HttpResponseRedirect:
    """After ``submit_once``: a repeat is told nothing happened again, a first submit what did."""
    if repeated:
        return already_done(request, location)
    messages.success(request, message)
    return redirect(location)
