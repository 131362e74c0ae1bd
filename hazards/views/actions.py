"""The action panel of 隐患详情 (``core.web.actions``): the forms a user may fill now and the service each
one calls. ``permissions.allowed_actions`` decides which actions are open; each spec adds the business
condition that makes its form worth showing (即查即改 only for a general hazard, 挂牌督办 only for a
major one not yet listed, one pending 延期 at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.web.actions import ActionSpec, PanelEntry, action_panel
from core.web.forms import ActionForm
from hazards import forms, services
from hazards.choices import Action, ExtensionStatus, Level, Status
from hazards.errors import ConcurrentChange
from hazards.models import ExtensionRequest, Hazard, HazardEvent


@dataclass(frozen=True)
class PanelState:
    """What the detail page works out once and every form depends on."""

    # The actions the transition table and the jurisdiction open to this user now.
    allowed: frozenset[Action]
    pending_extension: ExtensionRequest | None
    # The latest 退回 while the hazard is being fixed again: its reason heads the 办单 form.
    last_rejection: HazardEvent | None = None


def pending_extension(hazard: Hazard) -> ExtensionRequest | None:
    return hazard.extension_requests.filter(status=ExtensionStatus.PENDING).first()


def _decide(hazard: Hazard, by: User, data: dict, photos: Sequence[UploadedFile]) -> object:
    extension = pending_extension(hazard)
    if extension is None:  # another supervisor decided it since the page was drawn
        raise ConcurrentChange(_("该延期申请已被处理。"), status=hazard.status)
    return services.extension_decide(extension=extension, by=by, approve=data["approve"], comment=data["comment"])


# What a 交单 form (and an 改派 one) hands the service.
_HANDOVER = ("unit", "responsible_person", "responsible_phone", "requirements", "deadline", "working_days")


def _handover(data: dict) -> dict:
    return {name: data[name] for name in _HANDOVER}


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        slug="assign",
        actions=(Action.ASSIGN,),
        form=forms.AssignForm,
        title=_("交单"),
        button=_("交办"),
        done=_("已交办给责任单位。"),
        perform=lambda hazard, by, data, photos: services.hazard_assign(hazard=hazard, by=by, **_handover(data)),
        # Found at a unit's premises: that unit is most often the one to fix it.
        initial=lambda hazard: {"unit": hazard.inspected_unit_id} if hazard.inspected_unit_id else {},
    ),
    ActionSpec(
        slug="reassign",
        actions=(Action.REASSIGN,),
        form=forms.ReassignForm,
        title=_("改派"),
        button=_("改派"),
        done=_("已改派给新的责任单位。"),
        style="secondary",
        perform=lambda hazard, by, data, photos: services.hazard_reassign(
            hazard=hazard, by=by, reason=data["reason"], **_handover(data)
        ),
    ),
    ActionSpec(
        slug="recall",
        actions=(Action.RECALL,),
        form=forms.ReasonForm,
        title=_("撤回交办"),
        button=_("撤回交办"),
        done=_("已撤回交办，隐患回到待交单。"),
        style="outline-secondary",
        perform=lambda hazard, by, data, photos: services.hazard_recall(hazard=hazard, by=by, reason=data["reason"]),
    ),
    ActionSpec(
        slug="acknowledge",
        actions=(Action.ACKNOWLEDGE,),
        form=forms.AcknowledgeForm,
        title=_("签收"),
        button=_("签收"),
        done=_("已签收，请按期整改。"),
        perform=lambda hazard, by, data, photos: services.hazard_acknowledge(hazard=hazard, by=by),
    ),
    ActionSpec(
        slug="submit",
        actions=(Action.SUBMIT,),
        form=forms.SubmitForm,
        title=_("办单"),
        button=_("提交验收"),
        done=_("整改情况已提交，等待验收。"),
        photos_required=True,
        # After 退回 the last report is the starting point: measures and cost are kept, photos are new.
        initial=lambda hazard: {"measures": hazard.measures, "cost": hazard.cost} if hazard.measures else {},
        perform=lambda hazard, by, data, photos: services.hazard_submit(
            hazard=hazard,
            by=by,
            measures=data["measures"],
            completed_on=data["completed_on"],
            cost=data["cost"],
            photos=photos,
        ),
        # From 列单 this is 即查即改, which a major hazard may not take.
        available=lambda hazard, state: hazard.status != Status.LISTED or hazard.level == Level.GENERAL,
    ),
    ActionSpec(
        slug="verify",
        actions=(Action.VERIFY,),
        form=forms.VerifyForm,
        title=_("销号"),
        button=_("验收销号"),
        done=_("已验收销号。"),
        style="success",
        perform=lambda hazard, by, data, photos: services.hazard_verify(
            hazard=hazard, by=by, method=data["method"], opinion=data["opinion"], photos=photos
        ),
    ),
    ActionSpec(
        slug="reject",
        actions=(Action.REJECT,),
        form=forms.ReasonForm,
        title=_("退回"),
        button=_("退回整改"),
        done=_("已退回，责任单位须重新整改。"),
        style="warning",
        perform=lambda hazard, by, data, photos: services.hazard_reject(hazard=hazard, by=by, reason=data["reason"]),
    ),
    ActionSpec(
        slug="request-extension",
        actions=(Action.REQUEST_EXTENSION,),
        form=forms.ExtensionRequestForm,
        title=_("申请延期"),
        button=_("提交延期申请"),
        done=_("延期申请已提交，等待审批。"),
        style="secondary",
        perform=lambda hazard, by, data, photos: services.extension_request(
            hazard=hazard, by=by, requested_deadline=data["requested_deadline"], reason=data["reason"]
        ),
        # Asked on or before the deadline day only (the service refuses later): not offered once overdue.
        available=lambda hazard, state: (
            state.pending_extension is None and (hazard.deadline is None or hazard.deadline >= timezone.localdate())
        ),
    ),
    ActionSpec(
        slug="decide-extension",
        actions=(Action.APPROVE_EXTENSION, Action.DENY_EXTENSION),
        form=forms.ExtensionDecideForm,
        title=_("延期审批"),
        button=_("提交审批"),
        done=_("延期申请已审批。"),
        perform=_decide,
        available=lambda hazard, state: state.pending_extension is not None,
    ),
    ActionSpec(
        slug="list-supervision",
        actions=(Action.LIST_SUPERVISION,),
        form=forms.SupervisionForm,
        title=_("挂牌督办"),
        button=_("挂牌督办"),
        done=_("已挂牌督办。"),
        style="danger",
        perform=lambda hazard, by, data, photos: services.supervision_start(
            hazard=hazard,
            by=by,
            authority_level=data["authority_level"],
            requirements=data["requirements"],
            deadline=data["deadline"],
        ),
        available=lambda hazard, state: hazard.level == Level.MAJOR and not hazard.is_supervised,
    ),
    ActionSpec(
        slug="void",
        actions=(Action.VOID,),
        form=forms.ReasonForm,
        title=_("作废"),
        button=_("作废"),
        done=_("隐患已作废。"),
        style="outline-danger",
        perform=lambda hazard, by, data, photos: services.hazard_void(hazard=hazard, by=by, reason=data["reason"]),
    ),
)
SPEC_BY_SLUG = {spec.slug: spec for spec in SPECS}


def hazard_panel(
    user: User, hazard: Hazard, state: PanelState, *, bound: tuple[str, ActionForm, list] | None = None
) -> list[PanelEntry]:
    """The forms of ``SPECS`` open to ``user`` on ``hazard`` now."""
    return action_panel(SPECS, user, hazard, allowed=state.allowed, state=state, bound=bound)
