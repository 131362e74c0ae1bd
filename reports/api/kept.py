"""Rollup answers of the stats API kept ready: per rollup version, shared by callers with the same
jurisdiction, and computed again ahead of the next request after a refresh (docs/reports.md §6).

A computed city-wide ``group_by=county,sector`` answer (408 rows × 47 figures) costs PostgreSQL ~20 ms
and the web process ~8 ms of CPU (the JSON is written by PostgreSQL: ``json_from_rollup``;
bench.reports.rollup), a kept one ~4 ms of the web process's and a cache read. So:

- an answer is kept under what its figures depend on: the rollup's version and date, the caller's
  jurisdiction (everyone in 红旗区 gets 红旗区's answer), the query as parsed and the representation. Its
  ``as_of`` (which moves on every refresh, changed or not) is left out of what is kept and written in
  front when it is served, so a refresh that changed nothing keeps every answer;
- the questions asked (at most ``REMEMBERED``, each for ``KEEP_ANSWER``) are remembered, and after a
  refresh or rebuild that moved the version, the refresh task (reports.tasks) computes their answers
  again (``keep_asked``): a poller's first request after a change finds its answer kept, and the CPU is
  the worker's. A question asked by no one for an hour is no longer kept ahead.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions

from accounts.jurisdiction import Everything, Subtree, jurisdiction_of
from accounts.models import User
from core.api.renderers import JSONRenderer
from reports import live, metrics, rollup, tables
from reports.api.renderers import StatsCSVRenderer
from reports.dimensions import DIMENSIONS

KEEP_ANSWER = 3600  # seconds; the version in the key moves on every change, this only bounds the cache
REMEMBERED = 32  # questions computed ahead after a change: the most recently asked
ASKED_KEY = "reports:closure:asked"
JSON = JSONRenderer.media_type
# The start of every JSON answer: table_data() puts ``as_of`` first.
AS_OF_PREFIX = b'{"as_of":"'


def table_data(table: live.Table) -> dict[str, Any]:
    """The answer, in the numbers the table holds: floats for JSON (``numbers=True``), exact for CSV."""
    query = table.query
    return {
        "as_of": timezone.localtime(table.as_of).isoformat(),
        "group_by": [dimension.code for dimension in table.dimensions],
        "period": {"found_after": query.found_after, "found_before": query.found_before},
        "rows": [
            {
                **{d.code: group.as_dict() for d, group in zip(table.dimensions, row.groups, strict=True)},
                **row.values,
            }
            for row in table.rows
        ],
        "total": dict(table.total),
    }


def _scope(user: User) -> str | None:
    """The jurisdiction as part of a key; None for one the rollup never answers (a unit contact's)."""
    match jurisdiction_of(user):
        case Everything():
            return "all"
        case Subtree(region=region):
            return f"region:{region.pk}"
        case _:
            return None


def _query_key(query: live.StatsQuery) -> tuple:
    region, sector = query.region, query.sector
    return (
        query.group_by,
        query.found_after,
        query.found_before,
        query.level,
        region.pk if region else None,
        sector.pk if sector else None,
    )


@dataclass(frozen=True)
class Answer:
    """Where a rollup answer is kept: ``question`` names it across versions, ``key`` at this one."""

    question: str
    key: str
    media_type: str


def answer_for(user: User, query: live.StatsQuery, media_type: str, state: rollup.State) -> Answer | None:
    scope = _scope(user)
    if scope is None:
        return None
    question = hashlib.sha256(repr((scope, _query_key(query), media_type)).encode()).hexdigest()[:32]
    return Answer(question, f"reports:closure:{question}:{state.version}@{state.for_date}", media_type)


def served(answer: Answer, state: rollup.State) -> tuple[bytes, str] | None:
    """The kept answer with this moment's ``as_of``, and its content type; None when not kept."""
    kept = cache.get(answer.key)
    if kept is None:
        return None
    content, content_type = kept
    if answer.media_type == JSON:
        assert state.as_of is not None
        as_of = timezone.localtime(state.as_of).isoformat().encode()
        content = AS_OF_PREFIX + as_of + b'",' + content[1:]
    return content, content_type


def keep(answer: Answer, content: bytes, content_type: str) -> None:
    """Keep a rendered answer, without its ``as_of`` (JSON: the first member)."""
    if answer.media_type == JSON:
        assert content.startswith(AS_OF_PREFIX), content[:40]
        content = b"{" + content[content.index(b'",', len(AS_OF_PREFIX)) + 2 :]
    cache.set(answer.key, (content, content_type), KEEP_ANSWER)


def remember(answer: Answer, user: User, params: Mapping[str, str]) -> None:
    """Note the question, so that ``keep_asked`` answers it after the next change. Read, changed and
    written back without a lock: two web processes writing at once may drop a question, which then only
    waits for its next request to be computed."""
    asked: dict[str, tuple] = cache.get(ASKED_KEY) or {}
    asked.pop(answer.question, None)
    asked[answer.question] = (user.pk, {name: value for name, value in params.items()}, answer.media_type, time.time())
    cache.set(ASKED_KEY, dict(list(asked.items())[-REMEMBERED:]), KEEP_ANSWER)


RENDERERS = {JSON: JSONRenderer, StatsCSVRenderer.media_type: StatsCSVRenderer}


def content_type(media_type: str) -> str:
    """The Content-Type DRF's Response gives an answer in ``media_type``."""
    renderer = RENDERERS[media_type]
    return f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type


def json_from_rollup(user: User, query: live.StatsQuery, state: rollup.State | None) -> bytes | None:
    """The JSON answer from the rollup, the same bytes as ``table_data`` rendered by the API's renderer,
    with the figures written by PostgreSQL (``rollup.grouped_json``) and only the groups' names and
    the rows' order here; None when the rollup does not answer (then ``table_data``)."""
    dimensions = tuple(DIMENSIONS[code] for code in query.group_by)
    found = rollup.grouped_json(user=user, query=query, dimensions=dimensions, state=state)
    if found is None:
        return None
    today = timezone.localdate()
    axes = live.axes_for(user, query, found.members, today)
    render = JSONRenderer().render
    empty = _empty_members()
    members = found.members
    # Each group's member (``"county":{"code":…,"name":…}``) written once; a row is their concatenation.
    named = [
        [(group.key, (b"," if i else b"") + f'"{d.code}":'.encode() + render(group.as_dict())) for group in axis]
        for i, (d, axis) in enumerate(zip(dimensions, axes, strict=True))
    ]
    if not named:
        rows = [b"{" + members.get((), empty) + b"}"]
    elif len(named) == 1:
        rows = [b"{" + text + b"," + members.get((key,), empty) + b"}" for key, text in named[0]]
    else:
        (first, second) = named
        rows = [
            b"{" + text + other + b"," + members.get((key, other_key), empty) + b"}"
            for key, text in first
            for other_key, other in second
        ]
    head = render(
        {
            "as_of": timezone.localtime(found.as_of).isoformat(),
            "group_by": list(query.group_by),
            "period": {"found_after": query.found_after, "found_before": query.found_before},
        }
    )
    return head[:-1] + b',"rows":[' + b",".join(rows) + b'],"total":{' + found.total + b"}}"


@functools.cache
def _empty_members() -> bytes:
    """A group without hazards, as ``table_data`` writes it (its members, without braces)."""
    (figures,) = metrics.evaluate_numbers([metrics.normalize({})])
    return JSONRenderer().render(figures)[1:-1]


def compute(user: User, query: live.StatsQuery, media_type: str, state: rollup.State) -> bytes:
    """The answer rendered as the view renders it."""
    csv = media_type != JSON
    if not csv:
        written = json_from_rollup(user, query, state)
        if written is not None:
            return written
    data = table_data(tables.closure_table(user=user, query=query, numbers=not csv, state=state))
    content = RENDERERS[media_type]().render(data, media_type)
    return content.encode() if isinstance(content, str) else content


def keep_asked() -> int:
    """Compute and keep the answers to the questions asked within ``KEEP_ANSWER``, at the rollup's
    version now (the refresh task calls it after a refresh or rebuild that moved the version). Returns
    how many were computed."""
    from reports.api.serializers import ClosureQuerySerializer

    state = rollup.current()
    if state is None or not state.usable:
        return 0
    recent = time.time() - KEEP_ANSWER
    asked: dict[str, tuple] = cache.get(ASKED_KEY) or {}
    computed = 0
    for user_id, params, media_type, asked_at in asked.values():
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if asked_at < recent or user is None or media_type not in RENDERERS:
            continue
        # Parsed again for this user now: a region out of their jurisdiction since is not answered.
        parsed = ClosureQuerySerializer(data=params, context={"request": SimpleNamespace(user=user)})
        try:
            valid = parsed.is_valid()
        except exceptions.APIException:  # a region no longer visible (404): nothing to keep
            continue
        if not valid:
            continue
        query = parsed.to_query()
        answer = answer_for(user, query, media_type, state)
        if answer is None or rollup.version_for(user, query, state) is None or cache.get(answer.key) is not None:
            continue
        keep(answer, compute(user, query, media_type, state), content_type(media_type))
        computed += 1
    return computed
