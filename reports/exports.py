"""Exports (导出) as xlsx: the hazard ledger (台账) for any list filter, the stats API's table (the
rollups) and the official tables. An export is a ``core`` job of kind ``reports.export``:

- ``export_create`` checks the request as its owner would be answered now (a filter the list refuses, a
  region outside the jurisdiction: refused at once, nothing queued), records the job with what to
  export in its scope, and queues ``reports.tasks.export`` with the job's id once the transaction
  commits;
- ``export_run`` (the task) claims the job, reads the figures or hazards *as its owner* again (scoping
  is ``visible_to(owner)``, whatever changed meanwhile), writes the file to a temporary file in
  constant memory with progress per 5,000 rows, and stores it as the job's result;
- the owner downloads it through the job (``core.views.job_result``, ``/api/v1/jobs/{id}/result/``:
  ``Job.objects.visible_to`` — anyone else gets 404) until ``EXPIRE_AFTER`` after it finished, when the
  hourly ``reports.tasks.expire_exports`` discards the file (the job stays, saying it expired).
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from accounts.models import Sector, User
from core import jobs
from core.models import Job
from hazards.choices import OPEN_STATUSES, Category, Factor, Level, Source, Status
from hazards.filtersets import HazardFilterSet
from hazards.models import Hazard
from hazards.querysets import HazardQuerySet
from reports import official, tables, xlsx
from reports.layouts import LAYOUTS

JOB_KIND = "reports.export"
KINDS = ("ledger", "stats", "table")
# An export's file is kept this long after it was made; the hourly task discards it then.
EXPIRE_AFTER = datetime.timedelta(hours=24)
PROGRESS_EVERY = 5000
# List parameters that say how a page is shown, not which hazards: an export takes every page.
PAGING_PARAMS = {"cursor", "ordering", "page_size"}


@dataclass(frozen=True)
class Requester:
    """What the query serializers read from a request: who asks."""

    user: User


def _as_lists(params: Mapping[str, Any]) -> dict[str, list[str]]:
    if isinstance(params, QueryDict):
        return {key: params.getlist(key) for key in params}
    result = {}
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        result[str(key)] = [str(v) for v in values]
    return result


def ledger_hazards(user: User, params: Mapping[str, list[str]]) -> HazardQuerySet:
    """The hazards the list shows ``user`` for ``params`` (the list's own filters); a filter the list
    cannot apply is refused rather than ignored — an export must hold what was asked for."""
    data = QueryDict(mutable=True)
    for key, values in params.items():
        if key not in PAGING_PARAMS:
            data.setlist(key, values)
    filterset = HazardFilterSet(data, queryset=Hazard.objects.visible_to(user))
    unknown = sorted(set(data) - set(filterset.filters))
    if unknown:
        raise exceptions.ValidationError({"params": {name: [_("不支持的筛选条件。")] for name in unknown}})
    if not filterset.is_valid():
        raise exceptions.ValidationError({"params": filterset.errors})
    return filterset.qs


def _stats_query(user: User, params: Mapping[str, list[str]]):
    from reports.api.serializers import ClosureQuerySerializer

    single = {key: values[-1] for key, values in params.items() if values}
    serializer = ClosureQuerySerializer(data=single, context={"request": Requester(user)})
    if not serializer.is_valid():
        raise exceptions.ValidationError({"params": serializer.errors})
    return serializer.to_query()


def _table_query(user: User, table: str, params: Mapping[str, list[str]]) -> dict[str, Any]:
    from reports.api.tables import TableQuerySerializer

    if table not in LAYOUTS:
        raise exceptions.ValidationError({"table": [_("没有这张统计表。可选：%s。") % "、".join(LAYOUTS)]})
    single = {key: values[-1] for key, values in params.items() if values}
    serializer = TableQuerySerializer(data=single, context={"request": Requester(user), "table": table})
    if not serializer.is_valid():
        raise exceptions.ValidationError({"params": serializer.errors})
    return serializer.validated_data


def check_request(user: User, kind: str, params: Mapping[str, Any], table: str = "") -> dict[str, Any]:
    """The job's scope for a valid request; ``rest_framework.exceptions.ValidationError`` (400) or
    ``NotFound`` (a region outside the jurisdiction, 404) otherwise."""
    if kind not in KINDS:
        raise exceptions.ValidationError(
            {"kind": [_("可选：ledger（隐患台账）、stats（整改统计）、table（统计表）。")]}
        )
    lists = _as_lists(params)
    if kind == "ledger":
        ledger_hazards(user, lists)
    elif kind == "stats":
        _stats_query(user, lists)
    else:
        if not official.may_see_tables(user):
            raise exceptions.PermissionDenied(_("统计表供各级安委办和监管部门使用。"))
        _table_query(user, table, lists)
    return {"export": kind, "table": table if kind == "table" else "", "params": lists}


def export_create(*, user: User, kind: str, params: Mapping[str, Any], table: str = "") -> Job:
    from reports.tasks import export

    scope = check_request(user, kind, params, table)
    job = jobs.job_create(kind=JOB_KIND, owner=user, scope=scope)
    transaction.on_commit(lambda: export.delay(job.pk))
    return job


# --- running ------------------------------------------------------------------------------------------

LEDGER_FIELDS = (
    "number",
    "title",
    "status",
    "level",
    "county__name",
    "region__name",
    "address",
    "sector_id",
    "category",
    "factor",
    "source",
    "found_at",
    "responsible_unit__name",
    "responsible_unit__credit_code",
    "responsible_person",
    "deadline",
    "assigned_at",
    "closed_at",
    "cost",
    "plan_funds",
    "is_supervised",
    "description",
)


def ledger_rows(hazards: HazardQuerySet, today: datetime.date) -> Iterator[tuple]:
    """Each hazard as a row of ``xlsx.LEDGER_COLUMNS``, read in chunks (a server-side cursor on
    PostgreSQL), so memory does not grow with the ledger. Per row only dictionary look-ups: the labels of
    the choices are translated once (``str()`` of a lazy label costs a gettext call, ~10 µs, five a row),
    sector names come from ``Sector.cached``, moments are shifted to local time by the zone itself."""
    status, level, category, factor, source = (
        {value: str(label) for value, label in choices.choices} for choices in (Status, Level, Category, Factor, Source)
    )
    open_statuses = frozenset(OPEN_STATUSES)
    sectors: dict[int | None, str] = {}
    zone = timezone.get_current_timezone()

    def local(value: datetime.datetime | None) -> datetime.datetime | None:
        # What xlsx.local_naive gives, without Django's per-call look-up of the current zone.
        return None if value is None else value.astimezone(zone).replace(tzinfo=None)

    rows = hazards.with_is_supervised().order_by("found_at", "pk").values_list(*LEDGER_FIELDS)
    for r in rows.iterator(chunk_size=2000):
        (number, title, st, lv, county, region, address, sector_id, cat, fac, src, found_at) = r[:12]
        (unit, credit, person, deadline, assigned_at, closed_at, cost, funds, supervised, description) = r[12:]
        sector_name = sectors.get(sector_id)
        if sector_name is None:
            sector = Sector.cached.get(sector_id)
            sector_name = sectors[sector_id] = str(sector) if sector else ""
        overdue = (today - deadline).days if st in open_statuses and deadline and deadline < today else None
        yield (
            number,
            title,
            status.get(st, st),
            level.get(lv, lv),
            county,
            region,
            address,
            sector_name,
            category.get(cat, cat),
            factor.get(fac, fac),
            source.get(src, src),
            local(found_at),
            unit or "",
            credit or "",
            person,
            deadline,
            local(assigned_at),
            local(closed_at),
            overdue,
            "是" if supervised else "否",
            cost,
            funds,
            description,
        )


def _file_name(scope: dict[str, Any], today: datetime.date) -> str:
    if scope["export"] == "ledger":
        return f"隐患台账-{today:%Y%m%d}.xlsx"
    if scope["export"] == "stats":
        return f"隐患整改统计-{today:%Y%m%d}.xlsx"
    return f"{LAYOUTS[scope['table']].short_title}-{today:%Y%m%d}.xlsx"


def write_export(job: Job, path: str) -> None:
    """The export ``job`` asks for, written to ``path`` as its owner would see it now."""
    user: User = job.owner
    scope = job.scope
    params = scope["params"]
    today = timezone.localdate()
    if scope["export"] == "ledger":
        hazards = ledger_hazards(user, params)
        total = hazards.count()
        jobs.job_advance(job_id=job.pk, done=0, total=total)
        title = f"隐患台账（{total} 条，导出于 {timezone.localtime():%Y-%m-%d %H:%M}，发现时间为北京时间）"
        xlsx.write_ledger(
            ledger_rows(hazards, today),
            path,
            title=title,
            progress=lambda done: jobs.job_advance(job_id=job.pk, done=done),
            every=PROGRESS_EVERY,
        )
    elif scope["export"] == "stats":
        query = _stats_query(user, params)
        jobs.job_advance(job_id=job.pk, done=0, total=1)
        xlsx.write_stats(tables.closure_table(user=user, query=query), path)
    else:
        query = _table_query(user, scope["table"], params)
        jobs.job_advance(job_id=job.pk, done=0, total=1)
        xlsx.write_official(official.official_table(scope["table"], user=user, **query), path)


def export_run(job_id: int) -> bool:
    """Run the export job; False when another worker has it or it already ran."""
    job = jobs.job_start(job_id=job_id)
    if job is None:
        return False
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="export-")
    os.close(handle)
    try:
        write_export(job, path)
        with open(path, "rb") as result:
            jobs.job_finish(job_id=job_id, result=File(result), name=_file_name(job.scope, timezone.localdate()))
    except (exceptions.ValidationError, exceptions.NotFound, exceptions.PermissionDenied):
        jobs.job_fail(job_id=job_id, message=_("导出条件已不再有效（如区划或权限已变更），请重新导出。"))
    except Exception:
        jobs.job_fail(job_id=job_id, message=_("导出失败，请稍后重试；如仍失败请联系管理员。"))
        raise
    finally:
        os.unlink(path)
    return True


def expired_results() -> int:
    """Discard the files of exports finished more than ``EXPIRE_AFTER`` ago."""
    return jobs.jobs_discard_results(kind=JOB_KIND, finished_before=timezone.now() - EXPIRE_AFTER)


def is_expired(job: Job) -> bool:
    return job.state == "succeeded" and not job.result
