"""Posting a browser form: run its service once, and answer every outcome the same way in every app.

A form's second submit (a double click, a reload, Back then submit, a flaky phone network) does nothing
twice: each form carries a random ``form_token``, run once through ``core.idempotency`` under a ``form:``
prefix in the table the API's ``Idempotency-Key`` uses. ``submit_and_answer`` is the one ladder of
answers: done (a message and a redirect), a repeat (told nothing happened again), the user's input was
wrong (the form again, errors by their fields), refused (the domain error's message), someone else
changed the object first (the view's own stale page), out of scope (404).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core import idempotency
from core.errors import ConcurrentChange, DomainError, NotFound
from core.web.forms import BrowserForm


def _key(form: BrowserForm) -> str:
    return f"form:{form.cleaned_data['form_token']}"


def answer_repeat(request: HttpRequest, form: BrowserForm) -> HttpResponseRedirect | None:
    """If this form's first submit already succeeded, go where it went (before any other check: the
    object has moved on since, so the form would now be refused)."""
    outcome = idempotency.recorded(user=request.user, key=_key(form))
    if outcome is None:
        return None
    return _already_done(request, outcome.body["location"])


def _already_done(request: HttpRequest, location: str) -> HttpResponseRedirect:
    messages.info(request, _("这份表单已经提交过，没有重复办理。"))
    return redirect(location)


def submit_and_answer(
    request: HttpRequest,
    form: BrowserForm,
    *,
    scope: str,
    perform: Callable[[], str],
    done: str,
    invalid: Callable[[], HttpResponse],
    stale: Callable[[], HttpResponse] | None = None,
    refused: Callable[[DomainError], HttpResponse] | None = None,
    uploads: Sequence[UploadedFile] = (),
    after_first: Callable[[], None] | None = None,
) -> HttpResponse:
    """Run ``perform`` (one service call; returns the URL to go to next) once for this form.

    ``scope`` names what the form acts on (``assign:17``): the same token sent for another scope is
    refused. ``invalid`` draws the page again once the service's field errors are on the form;
    ``stale`` answers a concurrent change (default: like any refusal); ``refused`` answers a domain
    error (default: its message on top of the form, then ``invalid``). ``uploads`` are closed whatever
    happens; ``after_first`` runs after a first (not repeated) success, e.g. to discard staged files.
    """

    def run() -> tuple[str, int, dict]:
        location = perform()
        return location, 303, {"location": location}

    try:
        outcome = idempotency.perform_once(user=request.user, key=_key(form), fingerprint=scope, perform=run)
    except NotFound:
        raise Http404 from None
    except ConcurrentChange as exc:
        if stale is not None:
            return stale()
        return _refuse(form, exc, invalid, refused)
    except ValidationError as exc:
        form.add_service_error(exc)
        return invalid()
    except DomainError as exc:
        return _refuse(form, exc, invalid, refused)
    finally:
        for upload in uploads:
            upload.close()
    location = outcome.body["location"]
    if outcome.replayed:
        return _already_done(request, location)
    if after_first is not None:
        after_first()
    messages.success(request, done)
    return redirect(location)


def _refuse(
    form: BrowserForm,
    error: DomainError,
    invalid: Callable[[], HttpResponse],
    refused: Callable[[DomainError], HttpResponse] | None,
) -> HttpResponse:
    if refused is not None:
        return refused(error)
    form.add_error(None, str(error.message))
    return invalid()
