"""列单 → 交单 → 办单 → 清单: one service per state change (docs/design.md, "The workflow")."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import RegionLevel, Role
from accounts.jurisdiction import reaches_region, reaches_unit
from accounts.models import Region, ResponsibleUnit, Sector, User
from core.errors import field_error
from core.uploads import validate_upload
from core.workdays import add_working_days
from hazards import permissions
from hazards.choices import (
    Action,
    AttachmentPhase,
    Level,
    MajorStandard,
    Source,
    Status,
    StopProduction,
    VerificationMethod,
)
from hazards.errors import IllegalTransition, NotAllowed
from hazards.models import Hazard, HazardEvent
from hazards.services._core import (
    acting_time,
    apply_transition,
    event_value,
    lapse_pending_extensions,
    lift_active_listing,
    require_future_date,
    require_text,
)
from hazards.services.attachments import check_attachment_allowed, save_attachments
from hazards.services.store import current_store

_HAZARD_REGION_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
# How far back a hazard found earlier may be registered as new; older ones belong to a 台账 import.
FOUND_AT_MAX_AGE = datetime.timedelta(days=30)
# Translated only when a field is missing, not for every row of a 台账 import (gettext was a twentieth
# of the import's Python).
_PERSON_REQUIRED = gettext_lazy("请填写整改责任人。")
_REQUIREMENTS_REQUIRED = gettext_lazy("请填写整改要求。")


@dataclass(frozen=True)
class MajorDetails:
    """What a 重大事故隐患 records beyond a general one: the standard matched and the 五到位 plan."""

    major_standard: MajorStandard
    major_standard_item: str
    plan_measures: str = ""
    plan_responsibility: str = ""
    plan_funds: Decimal | None = None
    plan_deadline: datetime.date | None = None
    plan_contingency: str = ""
    stop_production: StopProduction = StopProduction.NONE

    def as_fields(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class HazardDetails:
    """What 列单 records: where, what, how serious, how found."""

    region: Region
    sector: Sector
    title: str
    description: str
    category: str
    factor: str
    source: str
    level: str = Level.GENERAL
    address: str = ""
    found_at: datetime.datetime | None = None
    major: MajorDetails | None = None
    # 被检查单位: the unit inspected, when the hazard was found at one.
    inspected_unit: ResponsibleUnit | None = None


def _validated_uploads(photos: Sequence[UploadedFile]) -> list[str]:
    return [validate_upload(photo) for photo in photos]


def _build_hazard(*, details: HazardDetails, by: User, at: datetime.datetime | None) -> Hazard:
    now = acting_time(at)
    region = details.region
    if not reaches_region(by, region):
        raise field_error("region", _("所选区划不在您的辖区内。"), "out_of_scope")
    if region.level not in _HAZARD_REGION_LEVELS:
        raise field_error("region", _("请选择到区县、乡镇或村一级。"), "level")
    found_at = details.found_at or now
    # A few minutes' grace for a phone whose clock runs ahead.
    if found_at > now + datetime.timedelta(minutes=5):
        message = _("发现时间不能晚于现在。") if at is None else _("发现时间不能晚于登记时间。")
        raise field_error("found_at", message, "future")
    if at is None and found_at < now - FOUND_AT_MAX_AGE:
        message = _("发现时间不能早于 %(days)d 天前；更早发现的隐患请通过台账导入登记。") % {
            "days": FOUND_AT_MAX_AGE.days
        }
        raise field_error("found_at", message, "too_old")
    inspected = details.inspected_unit
    if inspected is not None and not (inspected.is_active and reaches_unit(by, inspected)):
        raise field_error("inspected_unit", _("所选被检查单位不在您的辖区内或已停用。"), "out_of_scope")
    if details.level == Level.MAJOR and details.major is None:
        raise field_error("major_standard", _("重大事故隐患须写明判定标准及条款。"), "required")
    if details.level != Level.MAJOR and details.major is not None:
        raise field_error("level", _("只有重大事故隐患才填写判定标准和治理方案。"), "not_major")
    hazard = Hazard(
        region=region,
        county=region.county,
        sector=details.sector,
        title=(details.title or "").strip(),
        description=(details.description or "").strip(),
        category=details.category,
        factor=details.factor,
        source=details.source,
        level=details.level,
        address=(details.address or "").strip(),
        found_at=found_at,
        found_by=by,
        inspected_unit=inspected,
        **(details.major.as_fields() if details.major else {}),
    )
    if details.major is not None:
        require_text(details.major.major_standard_item, "major_standard_item", _("请填写所符合的判定条款。"))
    if details.sector is None:
        raise field_error("sector", _("请选择行业领域。"), "required")
    # The region and sector are rows the caller loaded (the region checked above): asking the database
    # whether they exist, as full_clean would, costs two queries per hazard and tells nothing.
    hazard.full_clean(exclude=["number", "county", "found_by", "region", "sector", "inspected_unit"])
    return hazard


def _create(
    *,
    hazard: Hazard,
    by: User,
    action: Action,
    photos: Sequence[UploadedFile],
    now: datetime.datetime,
    changes: dict | None = None,
) -> Hazard:
    content_types = _validated_uploads(photos)
    store = current_store()
    with store.atomic():
        hazard.created_at = hazard.updated_at = now
        store.insert_hazard(hazard)
        store.schedule(hazard, hazard.created_at)
        store.add_event(
            HazardEvent(
                hazard=hazard,
                action=action,
                actor=by,
                at=hazard.created_at,
                from_status="",
                to_status=hazard.status,
                changes=changes or {},
            )
        )
        save_attachments(
            hazard=hazard, by=by, phase=AttachmentPhase.FOUND, uploads=photos, content_types=content_types, at=now
        )
    return hazard


def _require_role(by: User, action: Action) -> None:
    if not permissions.role_may(by.role, action):
        raise NotAllowed()


def hazard_register(
    *, details: HazardDetails, by: User, photos: Sequence[UploadedFile] = (), at: datetime.datetime | None = None
) -> Hazard:
    """列单: record a hazard found by an officer, with its evidence photos.

    ``at``, here and in every service, records something done at that moment rather than now (a
    history import, the demo): it stamps the rows and events and is "today" for every date check.
    """
    _require_role(by, Action.LIST)
    now = acting_time(at)
    hazard = _build_hazard(details=details, by=by, at=at)
    hazard.status = Status.LISTED
    return _create(hazard=hazard, by=by, action=Action.LIST, photos=photos, now=now)


def hazard_create(
    *,
    details: HazardDetails,
    by: User,
    responsible_person: str = "",
    deadline: datetime.date | None = None,
    photos: Sequence[UploadedFile] = (),
    at: datetime.datetime | None = None,
) -> Hazard:
    """列单 by whoever may: a unit contact's hazard is 企业自查 and needs its person and deadline;
    an officer's is handed over later, so giving them now is an error rather than silently dropped."""
    if by.role == Role.UNIT_CONTACT:
        return hazard_self_report(
            details=details, by=by, responsible_person=responsible_person, deadline=deadline, photos=photos, at=at
        )
    if responsible_person or deadline:
        field = "deadline" if deadline else "responsible_person"
        raise field_error(field, _("整改责任人和期限在交单时填写。"), "not_yet")
    return hazard_register(details=details, by=by, photos=photos, at=at)


def hazard_self_report(
    *,
    details: HazardDetails,
    by: User,
    responsible_person: str,
    deadline: datetime.date | None,
    photos: Sequence[UploadedFile] = (),
    at: datetime.datetime | None = None,
) -> Hazard:
    """企业自查: a unit logs its own hazard; it is handed to that unit and acknowledged at once."""
    _require_role(by, Action.SELF_REPORT)
    unit = by.unit
    if unit is None:
        raise NotAllowed()
    if details.source != Source.SELF_CHECK:
        raise field_error("source", _("单位自行登记的隐患来源应为“企业自查”。"), "source")
    now = acting_time(at)
    hazard = _build_hazard(details=details, by=by, at=at)
    hazard.status = Status.RECTIFYING
    hazard.responsible_unit = unit
    hazard.responsible_person = require_text(responsible_person, "responsible_person", _PERSON_REQUIRED)
    hazard.responsible_phone = by.phone or unit.contact_phone
    hazard.deadline = require_future_date(deadline, "deadline", today=timezone.localdate(now))
    hazard.assigned_at = hazard.acknowledged_at = now
    changes = {
        "responsible_unit": [None, event_value(unit)],
        "deadline": [None, event_value(hazard.deadline)],
    }
    return _create(hazard=hazard, by=by, action=Action.SELF_REPORT, photos=photos, now=now, changes=changes)


def _handover(
    *,
    by: User,
    unit: ResponsibleUnit,
    responsible_person: str,
    requirements: str,
    deadline: datetime.date | None,
    working_days: int | None,
    responsible_phone: str,
    now: datetime.datetime,
) -> dict:
    """The fields of a 交单 (or 改派), checked: a unit in reach, a person, requirements, and a deadline
    given as a date or as so many 工作日 from the day it is handed over."""
    if (deadline is None) == (working_days is None):
        raise field_error("deadline", _("请填写整改期限或工作日数（二选一）。"), "required")
    today = timezone.localdate(now)
    if working_days is not None:
        deadline = add_working_days(today, working_days)
    if not (unit.is_active and reaches_unit(by, unit)):
        raise field_error("unit", _("所选责任单位不在您的辖区内或已停用。"), "out_of_scope")
    return {
        "responsible_unit": unit,
        "responsible_person": require_text(responsible_person, "responsible_person", _PERSON_REQUIRED),
        "responsible_phone": (responsible_phone or "").strip(),
        "requirements": require_text(requirements, "requirements", _REQUIREMENTS_REQUIRED),
        "deadline": require_future_date(deadline, "deadline", today=today),
        "assigned_at": now,
    }


def hazard_assign(
    *,
    hazard: Hazard,
    by: User,
    unit: ResponsibleUnit,
    responsible_person: str,
    requirements: str,
    deadline: datetime.date | None = None,
    working_days: int | None = None,
    responsible_phone: str = "",
    at: datetime.datetime | None = None,
) -> Hazard:
    """交单: hand the hazard to the unit that must fix it, with a person, requirements and a deadline,
    given as a date or as so many 工作日 from the day it is handed over."""
    permissions.check_transition(by, Action.ASSIGN, hazard)
    now = acting_time(at)
    fields = _handover(
        by=by,
        unit=unit,
        responsible_person=responsible_person,
        requirements=requirements,
        deadline=deadline,
        working_days=working_days,
        responsible_phone=responsible_phone,
        now=now,
    )
    return apply_transition(
        hazard=hazard, action=Action.ASSIGN, by=by, fields=fields, tracked=("responsible_unit", "deadline"), at=now
    )


def hazard_reassign(
    *,
    hazard: Hazard,
    by: User,
    unit: ResponsibleUnit,
    responsible_person: str,
    requirements: str,
    reason: str,
    deadline: datetime.date | None = None,
    working_days: int | None = None,
    responsible_phone: str = "",
    at: datetime.datetime | None = None,
) -> Hazard:
    """改派: before the unit acknowledges, hand the hazard to another unit (or the same one on new terms);
    the event keeps the old and the new unit and deadline, and a request the old unit made lapses."""
    permissions.check_transition(by, Action.REASSIGN, hazard)
    reason = require_text(reason, "reason", _("请填写改派理由。"))
    now = acting_time(at)
    fields = _handover(
        by=by,
        unit=unit,
        responsible_person=responsible_person,
        requirements=requirements,
        deadline=deadline,
        working_days=working_days,
        responsible_phone=responsible_phone,
        now=now,
    )
    return _correct_handover(
        hazard=hazard,
        by=by,
        action=Action.REASSIGN,
        fields=fields,
        reason=reason,
        now=now,
        lapsed=_("隐患已改派，申请自动失效。"),
    )


def hazard_recall(*, hazard: Hazard, by: User, reason: str, at: datetime.datetime | None = None) -> Hazard:
    """撤回交办: before the unit acknowledges, take a wrong 交单 back to 列单; the history keeps both."""
    permissions.check_transition(by, Action.RECALL, hazard)
    reason = require_text(reason, "reason", _("请填写撤回理由。"))
    now = acting_time(at)
    handed_over = {
        "responsible_unit": None,
        "responsible_person": "",
        "responsible_phone": "",
        "requirements": "",
        "deadline": None,
        "assigned_at": None,
    }
    return _correct_handover(
        hazard=hazard,
        by=by,
        action=Action.RECALL,
        fields=handed_over,
        reason=reason,
        now=now,
        lapsed=_("交办已撤回，申请自动失效。"),
    )


def _correct_handover(
    *, hazard: Hazard, by: User, action: Action, fields: dict, reason: str, now: datetime.datetime, lapsed: str
) -> Hazard:
    """撤回 or 改派: the event keeps the old and new unit and deadline; a request the old unit made lapses."""
    with current_store().atomic():
        hazard = apply_transition(
            hazard=hazard,
            action=action,
            by=by,
            fields=fields,
            tracked=("responsible_unit", "deadline"),
            comment=reason,
            at=now,
        )
        lapse_pending_extensions(hazard=hazard, at=now, comment=lapsed)
    return hazard


def hazard_acknowledge(*, hazard: Hazard, by: User, at: datetime.datetime | None = None) -> Hazard:
    """签收: the unit confirms it has received the hazard and starts fixing it."""
    now = acting_time(at)
    return apply_transition(hazard=hazard, action=Action.ACKNOWLEDGE, by=by, fields={"acknowledged_at": now}, at=now)


def hazard_submit(
    *,
    hazard: Hazard,
    by: User,
    measures: str,
    completed_on: datetime.date | None,
    cost: Decimal | None = None,
    photos: Sequence[UploadedFile] = (),
    at: datetime.datetime | None = None,
) -> Hazard:
    """办单: report the hazard fixed, with measures, completion date, cost and after-photos.

    From ``listed`` this is 即查即改 by the officer, allowed for general hazards only.
    """
    permissions.check_transition(by, Action.SUBMIT, hazard)
    if hazard.status == Status.LISTED and hazard.level != Level.GENERAL:
        raise IllegalTransition(_("重大事故隐患不能即查即改，须交办整改。"), status=hazard.status)
    measures = require_text(measures, "measures", _("请填写整改措施。"))
    if completed_on is None:
        raise field_error("completed_on", _("请填写整改完成日期。"), "required")
    now = acting_time(at)
    today = timezone.localdate(now)
    if completed_on > today:
        if at is None:
            raise field_error("completed_on", _("整改完成日期不能晚于今天。"), "future")
        message = _("整改完成日期不能晚于办理当日（%(day)s）。") % {"day": today.isoformat()}
        raise field_error("completed_on", message, "future")
    if cost is not None and cost < 0:
        raise field_error("cost", _("整改资金不能为负数。"), "negative")
    if photos:
        check_attachment_allowed(hazard=hazard, by=by, phase=AttachmentPhase.RECTIFIED)
    content_types = _validated_uploads(photos)
    if not photos:
        # After 退回 the supervisor wants to see the work done again: a photo taken since then.
        store = current_store()
        rejected = store.last_rejected_at(hazard)
        if not store.has_attachment(hazard, AttachmentPhase.RECTIFIED, since=rejected):
            message = _("退回后重新办单，请上传新的整改后照片。") if rejected else _("请上传整改后的照片。")
            raise field_error("photos", message, "required")
    with current_store().atomic():
        save_attachments(
            hazard=hazard, by=by, phase=AttachmentPhase.RECTIFIED, uploads=photos, content_types=content_types, at=now
        )
        return apply_transition(
            hazard=hazard,
            action=Action.SUBMIT,
            by=by,
            fields={"measures": measures, "completed_on": completed_on, "cost": cost, "submitted_at": now},
            # Each round's report stays in the timeline, even after a rejection overwrites the row.
            changes={
                "measures": [None, measures],
                "completed_on": [None, event_value(completed_on)],
                "cost": [None, event_value(cost)],
            },
            comment=measures,
            at=now,
        )


def hazard_verify(
    *,
    hazard: Hazard,
    by: User,
    method: VerificationMethod,
    opinion: str,
    photos: Sequence[UploadedFile] = (),
    at: datetime.datetime | None = None,
) -> Hazard:
    """销号 (清单): a supervisor verifies the rectification and strikes the hazard off; any 挂牌督办
    is lifted in the same transaction."""
    permissions.check_transition(by, Action.VERIFY, hazard)
    if method not in VerificationMethod.values:
        raise field_error("method", _("请选择验收方式。"), "required")
    opinion = require_text(opinion, "opinion", _("请填写验收意见。"))
    content_types = _validated_uploads(photos)
    now = acting_time(at)
    with current_store().atomic():
        save_attachments(
            hazard=hazard,
            by=by,
            phase=AttachmentPhase.VERIFICATION,
            uploads=photos,
            content_types=content_types,
            at=now,
        )
        hazard = apply_transition(
            hazard=hazard,
            action=Action.VERIFY,
            by=by,
            fields={"verification_method": method, "verification_opinion": opinion, "closed_at": now, "closed_by": by},
            comment=opinion,
            at=now,
        )
        lift_active_listing(hazard=hazard, by=by, at=now, comment=_("隐患已销号，自动摘牌。"))
        lapse_pending_extensions(hazard=hazard, at=now, comment=_("隐患已销号，申请自动失效。"))
    return hazard


def hazard_reject(*, hazard: Hazard, by: User, reason: str, at: datetime.datetime | None = None) -> Hazard:
    """退回: the rectification is not accepted; the unit works on it again. Every round stays in history."""
    reason = require_text(reason, "reason", _("请填写退回理由。"))
    return apply_transition(
        hazard=hazard, action=Action.REJECT, by=by, fields={"submitted_at": None}, comment=reason, at=at
    )


def hazard_void(*, hazard: Hazard, by: User, reason: str, at: datetime.datetime | None = None) -> Hazard:
    """作废: a hazard logged by mistake is kept for the record and counted nowhere."""
    reason = require_text(reason, "reason", _("请填写作废原因。"))
    now = acting_time(at)
    with current_store().atomic():
        hazard = apply_transition(
            hazard=hazard, action=Action.VOID, by=by, fields={"void_reason": reason}, comment=reason, at=now
        )
        lift_active_listing(hazard=hazard, by=by, at=now, comment=_("隐患已作废，自动摘牌。"))
        lapse_pending_extensions(hazard=hazard, at=now, comment=_("隐患已作废，申请自动失效。"))
    return hazard
