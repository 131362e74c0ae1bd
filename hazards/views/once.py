"""A browser form's second submit (a double click, a reload, a flaky phone network) does nothing twice.

Each form carries a random ``form_token``. The service's changes and a row naming the token commit in
one transaction, unique per (user, token): a repeat finds the row (or waits on the first submit's
uncommitted row, then fails to insert its own) and is sent where the first one went. The rows share
the API's ``IdempotencyRecord`` table, under a ``form:`` prefix.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import User
from hazards.errors import HazardError
from hazards.models import IdempotencyRecord


def _key(token: str) -> str:
    return f"form:{token}"


def earlier_result(user: User, token: str) -> str | None:
    """Where the first submit of this form went, if it has already succeeded."""
    record = IdempotencyRecord.objects.filter(user=user, key=_key(token)).only("response").first()
    return record.response.get("location") if record else None


def submit_once(user: User, token: str, fingerprint: str, perform: Callable[[], str]) -> tuple[str, bool]:
    """Run ``perform`` (which returns the URL to go to next) unless this form already ran.

    Returns the URL and whether this submit was a repeat. Errors of ``perform`` propagate and roll
    back the token with everything else, so a corrected form can be sent again; unless the same form
    succeeded meanwhile (two submits at once: the second fails on the row the first changed), which
    makes this submit a repeat rather than someone else's change.
    """
    location = earlier_result(user, token)
    if location is not None:
        return location, True
    try:
        with transaction.atomic():
            location = perform()
            IdempotencyRecord.objects.create(
                user=user,
                key=_key(token),
                fingerprint=fingerprint[:64],
                status_code=303,
                response={"location": location},
            )
    except (IntegrityError, HazardError, ValidationError):
        location = earlier_result(user, token)
        if location is None:
            raise
        return location, True
    return location, False


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
