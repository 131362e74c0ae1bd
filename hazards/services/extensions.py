"""延期: the unit asks for a later deadline before it passes; a supervisor approves or denies."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import field_error
from hazards import permissions
from hazards.choices import Action, ExtensionStatus
from hazards.errors import ConcurrentChange
from hazards.models import ExtensionRequest, Hazard
from hazards.services._core import acting_time, apply_transition, event_value, require_text
from hazards.services.store import current_store


def extension_request(
    *,
    hazard: Hazard,
    by: User,
    requested_deadline: datetime.date,
    reason: str,
    at: datetime.datetime | None = None,
) -> ExtensionRequest:
    """Asked on or before the deadline day (the acting day's date, Asia/Shanghai)."""
    permissions.check_transition(by, Action.REQUEST_EXTENSION, hazard)
    reason = require_text(reason, "reason", _("请填写延期理由。"))
    now = acting_time(at)
    if hazard.deadline is None or hazard.deadline < timezone.localdate(now):
        raise ValidationError(_("整改期限已过，不能再申请延期。"), code="too_late")
    if requested_deadline is None or requested_deadline <= hazard.deadline:
        raise field_error(
            "requested_deadline",
            _("申请的期限应晚于原整改期限 %(deadline)s。") % {"deadline": hazard.deadline},
            "not_later",
        )
    store = current_store()
    if store.has_pending_extension(hazard):
        raise ValidationError(_("已有一项延期申请待审批。"), code="pending_exists")
    try:
        with store.atomic():
            extension = ExtensionRequest(
                hazard=hazard,
                current_deadline=hazard.deadline,
                requested_deadline=requested_deadline,
                reason=reason,
                requested_by=by,
                requested_at=now,
            )
            store.add_extension(extension)
            apply_transition(
                hazard=hazard,
                action=Action.REQUEST_EXTENSION,
                by=by,
                changes={"requested_deadline": [event_value(hazard.deadline), event_value(requested_deadline)]},
                comment=reason,
                at=now,
            )
    except IntegrityError as exc:  # a second request raced this one past the check above
        raise ValidationError(_("已有一项延期申请待审批。"), code="pending_exists") from exc
    return extension


def extension_decide(
    *,
    extension: ExtensionRequest,
    by: User,
    approve: bool,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> ExtensionRequest:
    """Approval moves the deadline (the event keeps old and new dates) and so starts a new reminder cycle."""
    hazard = extension.hazard
    action = Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION
    permissions.check_transition(by, action, hazard)
    if not approve:
        comment = require_text(comment, "comment", _("请填写不予延期的理由。"))
    now = acting_time(at)
    store = current_store()
    with store.atomic():
        decided = store.decide_extension(
            extension,
            status=ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED,
            decided_by=by,
            decided_at=now,
            decision_comment=(comment or "").strip(),
        )
        if not decided:
            raise ConcurrentChange(_("该延期申请已被处理。"), status=hazard.status)
        apply_transition(
            hazard=hazard,
            action=action,
            by=by,
            fields={"deadline": extension.requested_deadline} if approve else {},
            tracked=("deadline",) if approve else (),
            comment=(comment or "").strip(),
            at=now,
        )
    return extension
