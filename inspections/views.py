"""The inspection pages: the list, 开始检查, the checklist answered item by item, 完成检查.

Each item's answer is saved the moment a result is tapped (``answer``: a fragment back for the page's
script, a redirect without it), so a phone that loses its connection loses at most the answers it is
still holding, which static/js/inspection.js keeps and sends again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.choices import Role
from core.errors import DomainError, NotFound
from core.web.submit import submit_and_answer
from inspections import permissions, services
from inspections.choices import TRANSITIONS, Action, Kind, Status
from inspections.coverage import by_county, by_sector_group, coverage_cells, never_inspected
from inspections.forms import AnswerForm, CompleteForm, PeriodForm, PlanForm, StartForm
from inspections.models import Answer, ChecklistItem, ChecklistSection, Inspection

PAGE_SIZE = 50


def _visible(request: HttpRequest, pk: int) -> Inspection:
    queryset = Inspection.objects.visible_to(request.user).select_related(
        "unit", "region", "sector", "template", "campaign"
    )
    return get_object_or_404(queryset, pk=pk)


def may_see_coverage(user) -> bool:
    """Coverage is the offices' figure; a unit has only its own inspections."""
    return user.role != Role.UNIT_CONTACT


def may_inspect(user) -> bool:
    return TRANSITIONS.role_may(user.role, Action.START)


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    inspections = (
        Inspection.objects.visible_to(request.user)
        .select_related("unit", "region", "leader")
        .order_by("-created_at", "-id")[:PAGE_SIZE]
    )
    context = {
        "inspections": inspections,
        "may_inspect": may_inspect(request.user),
        "may_plan": may_plan(request.user),
        "may_see_coverage": may_see_coverage(request.user),
    }
    return render(request, "inspections/list.html", context)


@login_required
def inspection_new(request: HttpRequest) -> HttpResponse:
    if not may_inspect(request.user):
        raise PermissionDenied
    form = StartForm(request.POST or None, user=request.user)
    if request.method != "POST":
        return render(request, "inspections/new.html", {"form": form})
    if not form.is_valid():
        return render(request, "inspections/new.html", {"form": form}, status=400)

    def perform() -> str:
        values = form.cleaned_data
        inspection = services.inspection_start_on_spot(
            kind=values["kind"],
            unit=values["unit"],
            template=values["template"],
            sector=values["sector"],
            team=values["team"],
            by=request.user,
        )
        return reverse("inspections:detail", args=[inspection.pk])

    return submit_and_answer(
        request,
        form,
        scope="inspection-start",
        perform=perform,
        done=_("检查已开始，请逐项检查。"),
        invalid=lambda: render(request, "inspections/new.html", {"form": form}, status=400),
    )


def may_plan(user) -> bool:
    return TRANSITIONS.role_may(user.role, Action.PLAN)


@login_required
def inspection_plan(request: HttpRequest) -> HttpResponse:
    """制定计划 of a visit (日常, 专项, 四不两直…) for a day, with its leader."""
    if not may_plan(request.user):
        raise PermissionDenied
    form = PlanForm(request.POST or None, user=request.user)
    if request.method != "POST":
        return render(request, "inspections/plan.html", {"form": form})
    if not form.is_valid():
        return render(request, "inspections/plan.html", {"form": form}, status=400)

    def perform() -> str:
        values = form.cleaned_data
        services.inspection_plan(
            kind=values["kind"],
            unit=values["unit"],
            template=values["template"],
            sector=values["sector"],
            planned_on=values["planned_on"],
            leader=values["leader"],
            team=values["team"],
            campaign=values["campaign"],
            by=request.user,
        )
        return reverse("inspections:list")

    return submit_and_answer(
        request,
        form,
        scope="inspection-plan",
        perform=perform,
        done=_("检查计划已制定。"),
        invalid=lambda: render(request, "inspections/plan.html", {"form": form}, status=400),
    )


@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """开始检查 of a planned visit, from the list."""
    inspection = _visible(request, pk)
    try:
        services.inspection_start(inspection=inspection, by=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("inspections:list")
    messages.success(request, _("检查已开始，请逐项检查。"))
    return redirect("inspections:detail", pk=inspection.pk)


def _sections(inspection: Inspection) -> list[tuple[ChecklistSection, list[tuple[ChecklistItem, Answer | None]]]]:
    if inspection.template_id is None:
        return []
    answers = {a.item_id: a for a in Answer.objects.filter(inspection=inspection).select_related("hazard")}
    sections = ChecklistSection.objects.filter(template_id=inspection.template_id).prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.select_related("standard_item"))
    )
    return [(section, [(item, answers.get(item.pk)) for item in section.items.all()]) for section in sections]


def _may_answer(user, inspection: Inspection) -> bool:
    if inspection.status != Status.IN_PROGRESS:
        return False
    try:
        permissions.check_transition(user, Action.ANSWER, inspection, kind=inspection.kind)
    except DomainError:
        return False
    return True


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _visible(request, pk)
    return _detail(request, inspection, CompleteForm())


def _detail(request: HttpRequest, inspection: Inspection, form: CompleteForm, status: int = 200) -> HttpResponse:
    sections = _sections(inspection)
    items = [pair for _section, pairs in sections for pair in pairs]
    context = {
        "inspection": inspection,
        "sections": sections,
        "answered": sum(1 for _item, answer in items if answer is not None),
        "total": len(items),
        "may_answer": _may_answer(request.user, inspection),
        "self_check": inspection.kind == Kind.SELF_CHECK and request.user.role == Role.UNIT_CONTACT,
        "form": form,
    }
    return render(request, "inspections/detail.html", context, status=status)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Save one item's answer; a 不符合 registers its hazard (services.answer_record)."""
    inspection = _visible(request, pk)
    item = get_object_or_404(
        ChecklistItem.objects.select_related("standard_item", "section"),
        pk=item_id,
        section__template_id=inspection.template_id,
    )
    form = AnswerForm(request.POST)
    error, status, saved = "", 200, None
    if form.is_valid():
        values = form.cleaned_data
        try:
            saved = services.answer_record(
                inspection=inspection,
                item=item,
                result=values["result"],
                comment=values["comment"],
                level=values["level"] or None,
                by=request.user,
            )
        except NotFound:
            raise Http404 from None
        except ValidationError as exc:
            error, status = "；".join(exc.messages), 400
        except DomainError as exc:
            error, status = str(exc.message), 409
    else:
        error, status = "；".join(e for errors in form.errors.values() for e in errors), 400
    if request.headers.get("X-Fragment") != "1":
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('inspections:detail', args=[pk])}#item-{item.pk}")
    current = saved or Answer.objects.filter(inspection=inspection, item=item).select_related("hazard").first()
    context = {"inspection": inspection, "item": item, "answer": current, "may_answer": True, "error": error}
    return render(request, "inspections/_item.html", context, status=status)


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _visible(request, pk)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        return _detail(request, inspection, form, status=400)

    def perform() -> str:
        services.inspection_complete(inspection=inspection, by=request.user, **form.cleaned_data_for_service())
        return reverse("inspections:detail", args=[inspection.pk])

    return submit_and_answer(
        request,
        form,
        scope=f"inspection-complete:{inspection.pk}",
        perform=perform,
        done=_("检查已完成。"),
        invalid=lambda: _detail(request, inspection, form, status=400),
    )


@login_required
def inspection_record(request: HttpRequest, pk: int) -> HttpResponse:
    """检查记录: every item with its result, the summary and the signatures, to print."""
    inspection = _visible(request, pk)
    return render(request, "inspections/record.html", {"inspection": inspection, "sections": _sections(inspection)})


@login_required
def inspection_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """隐患整改通知书 listing every hazard the inspection registered, to print and hand over."""
    inspection = _visible(request, pk)
    found = [
        (answer.hazard, answer.item)
        for _section, pairs in _sections(inspection)
        for _item, answer in pairs
        if answer is not None and answer.hazard is not None
    ]
    return render(request, "inspections/notice.html", {"inspection": inspection, "hazards": found})


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """排查覆盖率 by county (of one sector when chosen) and by sector for a period, and the units never
    inspected in it (a county's drill-down, in the sector chosen)."""
    if not may_see_coverage(request.user):
        raise PermissionDenied
    # The period shown in the form is the one counted: this year so far unless chosen.
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", today.replace(month=1, day=1).isoformat())
    data.setdefault("end", today.isoformat())
    form = PeriodForm(data)
    if not form.is_valid():
        return render(request, "inspections/coverage.html", {"form": form}, status=400)
    start, end, sector = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["sector"]
    # One count of the cells (county × sector) for both tables unless a sector narrows the first.
    cells = coverage_cells(user=request.user, start=start, end=end)
    rows = by_county(
        cells if sector is None else coverage_cells(user=request.user, start=start, end=end, sector=sector)
    )
    county = next((row.county for row in rows if row.county.code == form.cleaned_data["county"]), None)
    missing = None
    if county is not None:
        missing = never_inspected(user=request.user, start=start, end=end, county=county, sector=sector)[:500]
    context = {
        "form": form,
        "start": start,
        "end": end,
        "sector": sector,
        "rows": rows,
        "total_due": sum(row.units_due for row in rows),
        "total_inspected": sum(row.units_inspected for row in rows),
        "sector_rows": by_sector_group(cells),
        "county": county,
        "missing": missing,
    }
    return render(request, "inspections/coverage.html", context)
