"""The only code that changes inspections: one keyword-only service per state change (docs/style.md §2).

An answer of 不符合 is a hazard: ``answer_record`` registers it through ``hazards.services`` in the same
transaction, pre-filled from the checklist item, and links it one-to-one to the answer, so answering the
same item again never registers a second one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.jurisdiction import reaches_unit
from accounts.models import ResponsibleUnit, Sector, User
from core import transitions
from core.errors import field_error
from core.workdays import add_working_days
from hazards import services as hazard_services
from hazards.choices import Level, MajorStandard
from hazards.models import Hazard
from inspections import permissions
from inspections.choices import (
    HAZARD_SOURCE,
    UNANNOUNCED_KINDS,
    Action,
    CampaignAction,
    CampaignStatus,
    Kind,
    Result,
    Status,
)
from inspections.errors import CampaignConcurrentChange, ConcurrentChange, IllegalTransition, NotAllowed
from inspections.models import (
    Answer,
    Campaign,
    CampaignPhase,
    CampaignSnapshot,
    CampaignSnapshotRow,
    CampaignTarget,
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    Inspection,
)

# A hazard found by a unit's own check is the unit's to fix within this many working days unless the item
# says otherwise.
SELF_CHECK_WORKING_DAYS = 10


def _acting_time(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


def _new(
    *,
    kind: str,
    unit: ResponsibleUnit,
    by: User,
    template: ChecklistTemplate | None,
    sector: Sector | None,
    team: str,
    status: Status,
    now: datetime.datetime,
    campaign: Campaign | None = None,
    **fields: object,
) -> Inspection:
    if kind not in Kind.values:
        raise field_error("kind", _("请选择检查类型。"), "required")
    if not (unit.is_active and reaches_unit(by, unit)):
        raise field_error("unit", _("所选单位不在您的辖区内或已停用。"), "out_of_scope")
    if campaign is not None:
        _check_campaign_of(campaign, unit=unit, by=by)
    if template is not None and not template.is_published:
        raise field_error("template", _("检查表尚未发布，不能使用。"), "draft")
    sector = sector or (template.sector if template is not None else None)
    if sector is None:
        raise field_error("sector", _("请选择被检查单位的行业领域。"), "required")
    planned_in = by.unit.region if by.role == Role.UNIT_CONTACT and by.unit else by.region
    if planned_in is None:
        raise NotAllowed()
    return Inspection.objects.create(
        kind=kind,
        status=status,
        unit=unit,
        region=unit.region,
        sector=sector,
        template=template,
        planned_by=by,
        planned_in=planned_in,
        secret=kind in UNANNOUNCED_KINDS,
        team=(team or "").strip(),
        campaign=campaign,
        created_at=now,
        updated_at=now,
        **fields,
    )


def inspection_plan(
    *,
    kind: str,
    unit: ResponsibleUnit,
    by: User,
    planned_on: datetime.date,
    template: ChecklistTemplate | None = None,
    sector: Sector | None = None,
    leader: User | None = None,
    team: str = "",
    campaign: Campaign | None = None,
    at: datetime.datetime | None = None,
) -> Inspection:
    """制定计划: a visit to ``unit`` on ``planned_on``; a 四不两直 visit stays secret until its first hazard."""
    permissions.check_transition(by, Action.PLAN, None, kind=kind)
    now = _acting_time(at)
    if planned_on is None or planned_on < timezone.localdate(now):
        raise field_error("planned_on", _("计划日期不能早于今天。"), "past")
    return _new(
        kind=kind,
        unit=unit,
        by=by,
        template=template,
        sector=sector,
        team=team,
        status=Status.PLANNED,
        now=now,
        planned_on=planned_on,
        leader=leader,
        campaign=campaign,
    )


def inspection_start(*, inspection: Inspection, by: User, at: datetime.datetime | None = None) -> Inspection:
    """开始检查 of a planned visit; the one who starts it leads it unless the plan named a leader."""
    permissions.check_transition(by, Action.START, inspection, kind=inspection.kind)
    now = _acting_time(at)
    return _move(inspection, Status.IN_PROGRESS, now, started_at=now, leader=inspection.leader or by)


def inspection_start_on_spot(
    *,
    kind: str,
    unit: ResponsibleUnit,
    by: User,
    template: ChecklistTemplate | None = None,
    sector: Sector | None = None,
    team: str = "",
    campaign: Campaign | None = None,
    at: datetime.datetime | None = None,
) -> Inspection:
    """An inspection begun where it happens, without a plan (and a unit's own 企业自查)."""
    permissions.check_transition(by, Action.START, None, kind=kind)
    now = _acting_time(at)
    return _new(
        kind=kind,
        unit=unit,
        by=by,
        template=template,
        sector=sector,
        team=team,
        status=Status.IN_PROGRESS,
        now=now,
        started_at=now,
        leader=by,
        campaign=campaign,
    )


def _move(inspection: Inspection, target: Status, now: datetime.datetime, **fields: object) -> Inspection:
    return transitions.move(inspection, target, now, conflict=ConcurrentChange, **fields)


def answer_record(
    *,
    inspection: Inspection,
    item: ChecklistItem,
    result: str,
    by: User,
    comment: str = "",
    level: str | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    at: datetime.datetime | None = None,
) -> Answer:
    """Record (or change) the answer to one item. A 不符合 registers its hazard in the same transaction —
    重大 when the item is a criterion of a 判定标准, unless ``level`` says otherwise — once only."""
    permissions.check_transition(by, Action.ANSWER, inspection, kind=inspection.kind)
    if result not in Result.values:
        raise field_error("result", _("请选择检查结果。"), "required")
    if inspection.template_id is None or item.section.template_id != inspection.template_id:
        raise field_error("item", _("该检查项不在本次检查所用的检查表中。"), "other_template")
    now = _acting_time(at)
    with transaction.atomic():
        # One answer at a time per inspection: two phones answering the same item cannot both register it.
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.status != Status.IN_PROGRESS:
            raise IllegalTransition(status=locked.status)
        answer = Answer.objects.filter(inspection=inspection, item=item).first()
        if answer is not None and answer.hazard_id is not None and result != Result.FAIL:
            raise IllegalTransition(_("该项已登记隐患；如系误判，请作废该隐患后再改。"), status=locked.status)
        answer = answer or Answer(inspection=inspection, item=item)
        answer.result, answer.comment = result, (comment or "").strip()
        answer.latitude, answer.longitude = latitude, longitude
        answer.answered_by, answer.answered_at = by, now
        if result == Result.FAIL and answer.hazard_id is None:
            answer.hazard = _register_hazard(
                inspection=locked, item=item, by=by, comment=answer.comment, level=level, now=now
            )
            if locked.secret:  # the visit is no secret once it has found something
                Inspection.objects.filter(pk=inspection.pk).update(secret=False, updated_at=now)
                inspection.secret = False
        answer.save()
    return answer


def _register_hazard(
    *, inspection: Inspection, item: ChecklistItem, by: User, comment: str, level: str | None, now: datetime.datetime
) -> Hazard:
    """列单 (or the unit's 企业自查登记) of what a failed item found, filled in from the item."""
    standard = item.standard_item
    level = level or (Level.MAJOR if standard is not None else Level.GENERAL)
    major = None
    if level == Level.MAJOR:
        if standard is None:
            raise field_error("level", _("该检查项未关联判定标准条目，不能直接按重大隐患登记。"), "not_major")
        major = hazard_services.MajorDetails(
            major_standard=MajorStandard(standard.standard),
            major_standard_item=f"{standard.reference}：{standard.text}",
        )
    title_length = Hazard._meta.get_field("title").max_length or 200
    title = item.text if len(item.text) <= title_length else item.text[: title_length - 1] + "…"
    details = hazard_services.HazardDetails(
        region=inspection.region,
        sector=inspection.sector,
        title=title,
        description=comment or item.text,
        category=item.category,
        factor=item.factor,
        source=HAZARD_SOURCE[Kind(inspection.kind)],
        level=level,
        address=inspection.unit.address,
        found_at=now,
        inspected_unit=inspection.unit,
        major=major,
    )
    if by.role != Role.UNIT_CONTACT:
        return hazard_services.hazard_register(details=details, by=by, at=now)
    days = item.default_working_days or SELF_CHECK_WORKING_DAYS
    return hazard_services.hazard_self_report(
        details=details,
        by=by,
        responsible_person=inspection.unit.contact_name or by.get_full_name() or by.username,
        deadline=add_working_days(timezone.localdate(now), days),
        at=now,
    )


def inspection_complete(
    *,
    inspection: Inspection,
    by: User,
    summary: str,
    acknowledged_by_name: str = "",
    at: datetime.datetime | None = None,
) -> Inspection:
    """完成检查: every mandatory item answered, a summary, and the inspected unit's signature (签字) — a
    unit's own check is signed by the one who did it."""
    permissions.check_transition(by, Action.COMPLETE, inspection, kind=inspection.kind)
    summary = (summary or "").strip()
    if not summary:
        raise field_error("summary", _("请填写检查小结。"), "required")
    signer = (acknowledged_by_name or "").strip()
    if inspection.kind == Kind.SELF_CHECK:
        signer = signer or by.get_full_name() or by.username
    if not signer:
        raise field_error("acknowledged_by_name", _("请被检查单位负责人签字（填写姓名）。"), "required")
    if inspection.template_id is not None:
        answered = Answer.objects.filter(inspection=inspection).exclude(result=Result.NOT_CHECKED).values("item_id")
        missing = ChecklistItem.objects.filter(section__template_id=inspection.template_id, mandatory=True).exclude(
            pk__in=answered
        )
        if missing.exists():
            message = _("还有 %(n)d 个必查项未检查。") % {"n": missing.count()}
            raise field_error("answers", message, "incomplete")
    now = _acting_time(at)
    return _move(
        inspection,
        Status.COMPLETED,
        now,
        completed_at=now,
        summary=summary,
        acknowledged_by_name=signer,
        acknowledged_at=now,
    )


def _require_administrator(by: User) -> None:
    if not (by.is_superuser or by.role == Role.ADMINISTRATOR):
        raise NotAllowed()


def template_publish(
    *, template: ChecklistTemplate, by: User, at: datetime.datetime | None = None
) -> ChecklistTemplate:
    """发布: from now on this version never changes; inspections may use it."""
    _require_administrator(by)
    if not ChecklistItem.objects.filter(section__template=template).exists():
        raise field_error("items", _("检查表没有检查项，不能发布。"), "empty")
    now = _acting_time(at)
    if ChecklistTemplate.objects.filter(pk=template.pk, published_at__isnull=True).update(published_at=now) != 1:
        raise IllegalTransition(_("该版本已发布。"), status="published")
    template.published_at = now
    return template


def template_new_version(*, template: ChecklistTemplate, by: User) -> ChecklistTemplate:
    """A draft copy of a published version, numbered after the latest of its code, to edit and publish."""
    _require_administrator(by)
    with transaction.atomic():
        latest = ChecklistTemplate.objects.select_for_update().filter(code=template.code).order_by("-version").first()
        assert latest is not None
        draft = ChecklistTemplate.objects.create(
            code=template.code,
            name=template.name,
            sector=template.sector,
            kind=template.kind,
            version=latest.version + 1,
        )
        for section in template.sections.prefetch_related("items"):
            copy = ChecklistSection.objects.create(template=draft, order=section.order, title=section.title)
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    section=copy,
                    **{
                        f.name: getattr(item, f.name)
                        for f in ChecklistItem._meta.concrete_fields
                        if f.name not in ("id", "section")
                    },
                )
                for item in section.items.all()
            )
    return draft


# 专项整治 ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseInput:
    name: str
    starts_on: datetime.date
    ends_on: datetime.date


def _check_campaign_of(campaign: Campaign, *, unit: ResponsibleUnit, by: User) -> None:
    """An inspection counts for a campaign only while it runs, and only at one of its targets."""
    if not Campaign.objects.visible_to(by).filter(pk=campaign.pk).exists():
        raise field_error("campaign", _("所选专项整治不存在或不在您的辖区内。"), "out_of_scope")
    if campaign.status != CampaignStatus.ACTIVE:
        raise field_error("campaign", _("只能选择进行中的专项整治。"), "not_active")
    if not CampaignTarget.objects.filter(campaign=campaign, unit=unit).exists():
        raise field_error("campaign", _("被检查单位不是该专项整治的整治对象。"), "not_target")


def _clean_phases(phases: Sequence[PhaseInput]) -> list[PhaseInput]:
    cleaned = [PhaseInput(name=(p.name or "").strip(), starts_on=p.starts_on, ends_on=p.ends_on) for p in phases or ()]
    if not cleaned:
        raise field_error("phases", _("请至少填写一个整治阶段。"), "required")
    if len(cleaned) > 10:
        raise field_error("phases", _("整治阶段最多十个。"), "too_many")
    previous: PhaseInput | None = None
    for number, phase in enumerate(cleaned, start=1):
        if not phase.name or len(phase.name) > 50:
            raise field_error("phases", _("第 %(n)d 阶段：请填写阶段名称（50 字以内）。") % {"n": number}, "name")
        if phase.starts_on is None or phase.ends_on is None:
            raise field_error("phases", _("第 %(n)d 阶段：请填写起止日期。") % {"n": number}, "dates")
        if phase.starts_on > phase.ends_on:
            raise field_error("phases", _("第 %(n)d 阶段：开始日期不能晚于结束日期。") % {"n": number}, "order")
        if previous is not None and phase.starts_on <= previous.ends_on:
            raise field_error("phases", _("第 %(n)d 阶段须在上一阶段结束后开始。") % {"n": number}, "overlap")
        previous = phase
    return cleaned


def campaign_create(
    *,
    name: str,
    by: User,
    sectors: Iterable[Sector],
    phases: Sequence[PhaseInput],
    standards: Iterable[str] = (),
    templates: Iterable[ChecklistTemplate] = (),
    at: datetime.datetime | None = None,
) -> Campaign:
    """部署 a 专项整治 (草拟): its sectors, the 判定标准 and checklists it applies, and its phases in order.
    It is issued in the region of the office that creates it."""
    permissions.check_campaign_transition(by, CampaignAction.CREATE, None)
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("请填写专项整治名称。"), "required")
    if len(name) > Campaign._meta.get_field("name").max_length:  # type: ignore[operator]
        raise field_error("name", _("名称过长（100 字以内）。"), "max_length")
    sectors = list(sectors or ())
    if not sectors:
        raise field_error("sectors", _("请至少选择一个行业领域。"), "required")
    standards = list(dict.fromkeys(standards or ()))
    if any(code not in MajorStandard.values for code in standards):
        raise field_error("standards", _("所选判定标准不存在。"), "invalid_choice")
    templates = list(templates or ())
    if any(not t.is_published for t in templates):
        raise field_error("templates", _("检查表尚未发布，不能使用。"), "draft")
    cleaned = _clean_phases(phases)
    if by.region is None:
        raise NotAllowed()
    now = _acting_time(at)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            issued_in=by.region,
            issued_by=by,
            standards=standards,
            starts_on=cleaned[0].starts_on,
            ends_on=cleaned[-1].ends_on,
            created_at=now,
            updated_at=now,
        )
        campaign.sectors.set(sectors)
        campaign.templates.set(templates)
        CampaignPhase.objects.bulk_create(
            CampaignPhase(campaign=campaign, order=n, name=p.name, starts_on=p.starts_on, ends_on=p.ends_on)
            for n, p in enumerate(cleaned, start=1)
        )
    return campaign


def campaign_set_targets(
    *, campaign: Campaign, units: Iterable[ResponsibleUnit], by: User, at: datetime.datetime | None = None
) -> Campaign:
    """确定整治对象: the units the campaign must reach, in the issuer's jurisdiction. While it runs, units
    may be added but none taken away (what was due stays due)."""
    permissions.check_campaign_transition(by, CampaignAction.SET_TARGETS, campaign)
    units = list(dict.fromkeys(units or ()))
    for unit in units:
        if not (unit.is_active and reaches_unit(by, unit)):
            raise field_error("units", _("“%(name)s”不在您的辖区内或已停用。") % {"name": unit.name}, "out_of_scope")
    now = _acting_time(at)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != campaign.status or locked.version != campaign.version:
            raise CampaignConcurrentChange(status=locked.status)
        wanted = {unit.pk for unit in units}
        current = set(CampaignTarget.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
        if locked.status == CampaignStatus.ACTIVE and current - wanted:
            raise field_error("units", _("进行中的专项整治只能增加整治对象，不能移除。"), "remove_active")
        CampaignTarget.objects.filter(campaign=campaign, unit_id__in=current - wanted).delete()
        CampaignTarget.objects.bulk_create(
            CampaignTarget(campaign=campaign, unit_id=pk, added_at=now) for pk in wanted - current
        )
        Campaign.objects.filter(pk=campaign.pk).update(version=F("version") + 1, updated_at=now)
    campaign.version, campaign.updated_at = campaign.version + 1, now
    return campaign


def _move_campaign(campaign: Campaign, target: CampaignStatus, now: datetime.datetime, **fields: object) -> Campaign:
    return transitions.move(campaign, target, now, conflict=CampaignConcurrentChange, **fields)


def campaign_activate(*, campaign: Campaign, by: User, at: datetime.datetime | None = None) -> Campaign:
    """启动: from now on its targets see it and inspections may count for it."""
    permissions.check_campaign_transition(by, CampaignAction.ACTIVATE, campaign)
    if not CampaignTarget.objects.filter(campaign=campaign).exists():
        raise field_error("units", _("请先确定整治对象再启动。"), "no_targets")
    now = _acting_time(at)
    return _move_campaign(campaign, CampaignStatus.ACTIVE, now, activated_at=now)


def campaign_close(*, campaign: Campaign, by: User, at: datetime.datetime | None = None) -> Campaign:
    """结束: no more inspections count for it; its figures stay as they are."""
    permissions.check_campaign_transition(by, CampaignAction.CLOSE, campaign)
    now = _acting_time(at)
    return _move_campaign(campaign, CampaignStatus.CLOSED, now, closed_at=now)


# 报送快照: a campaign's figures frozen per county (coverage.campaign_figures).


def _snapshot(
    campaign: Campaign,
    *,
    phase: CampaignPhase | None,
    until: datetime.datetime,
    by: User | None,
    now: datetime.datetime,
) -> CampaignSnapshot:
    from inspections.coverage import campaign_figures

    with transaction.atomic():
        snapshot = CampaignSnapshot.objects.create(
            campaign=campaign, phase=phase, counted_until=until, taken_at=now, taken_by=by
        )
        CampaignSnapshotRow.objects.bulk_create(
            CampaignSnapshotRow(
                snapshot=snapshot,
                county=row.county,
                targets=row.targets,
                inspected=row.inspected,
                hazards_found=row.hazards_found,
                hazards_closed=row.hazards_closed,
            )
            for row in campaign_figures(campaign=campaign, until=until)
        )
    return snapshot


def campaign_snapshot_take(*, campaign: Campaign, by: User, at: datetime.datetime | None = None) -> CampaignSnapshot:
    """生成报送快照 by hand (the issuing office, once launched): the figures as they stand now, under the
    phase running today if any."""
    permissions.check_campaign_transition(by, CampaignAction.SNAPSHOT, campaign)
    now = _acting_time(at)
    today = timezone.localdate(now)
    phase = campaign.phases.filter(starts_on__lte=today, ends_on__gte=today).first()
    return _snapshot(campaign, phase=phase, until=now, by=by, now=now)


def phase_reporting_moment(phase: CampaignPhase) -> datetime.datetime:
    """A phase reports its figures as they stand at the end of its last day (local time)."""
    day = phase.ends_on + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def phases_due_a_snapshot(*, now: datetime.datetime | None = None) -> list[CampaignPhase]:
    """The phases of launched campaigns whose last day is over and that have no scheduled snapshot yet."""
    today = timezone.localdate(_acting_time(now))
    taken = CampaignSnapshot.objects.filter(phase=OuterRef("pk"), taken_by__isnull=True)
    return list(
        CampaignPhase.objects.filter(
            campaign__status__in=(CampaignStatus.ACTIVE, CampaignStatus.CLOSED), ends_on__lt=today
        )
        .exclude(Exists(taken))
        .select_related("campaign")
        .order_by("ends_on", "pk")
    )


def campaign_snapshot_for_phase(
    *, phase: CampaignPhase, at: datetime.datetime | None = None
) -> CampaignSnapshot | None:
    """The phase's scheduled snapshot, as of the end of its last day; taken once (None: already taken,
    by this run or another)."""
    now = _acting_time(at)
    until = phase_reporting_moment(phase)
    if until > now:
        raise ValueError("a phase reports once its last day is over")
    try:
        return _snapshot(phase.campaign, phase=phase, until=until, by=None, now=now)
    except IntegrityError:  # campaign_snapshot_per_phase: another worker took it first
        return None
