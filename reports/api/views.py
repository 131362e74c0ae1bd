"""REST API v1 statistics: closure figures by any one or two dimensions, scoped to the caller."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import orjson
from django.http import HttpResponse
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.renderers import JSONRenderer
from core.api.serializers import ErrorSerializer
from core.filters import YEARS
from reports import live, metrics, rollup, tables
from reports.api import kept
from reports.api.renderers import StatsCSVRenderer
from reports.api.serializers import ClosureQuerySerializer, ClosureStatsSerializer
from reports.dimensions import DIMENSIONS
from reports.metrics import METRICS

CACHE_CONTROL = "private, max-age=0"


def figures_etag(data: dict[str, Any], media_type: str) -> str:
    """A strong ETag over the figures in one representation. ``as_of`` is left out: it changes on every
    computation, and a poller wants to know whether the figures did."""
    figures = {key: value for key, value in data.items() if key != "as_of"}
    digest = hashlib.sha256(media_type.encode() + b"\n" + orjson.dumps(figures, default=str)).hexdigest()
    return f'"{digest[:32]}"'


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 §13.1.2): W/ prefixes do not matter."""
    tags = {tag.removeprefix("W/") for tag in parse_etags(header or "")}
    return "*" in tags or etag in tags


def _rollup_etag(request: Request, state: rollup.State) -> str:
    """The ETag of a rollup answer to this request. It is made from what the answer depends on, not from
    the answer: the rollup's version and date (the version moves whenever a refresh rewrites rows), the
    caller's scope, the parameters as sent and the representation (the answer itself is kept by
    ``reports.api.kept``)."""
    assert state.as_of is not None
    user = request.user
    asked = sorted((name, value) for name, value in request.query_params.items() if name != "format")
    who = (user.pk, user.role, user.unit_id, user.region_id, user.is_superuser)
    version = (state.version, state.for_date)
    digest = hashlib.sha256(repr((version, who, asked, request.accepted_media_type)).encode()).hexdigest()[:32]
    return f'"r{digest}"'


def rollup_etag(request: Request, query: live.StatsQuery, state: rollup.State | None) -> str | None:
    """``_rollup_etag`` when the rollup answers ``query`` (see ``rollup.version_for``); None for a live
    answer, whose ETag is its figures' (``figures_etag``)."""
    if state is None or rollup.version_for(request.user, query, state) is None:
        return None
    return _rollup_etag(request, state)


def revalidated(request: Request, state: rollup.State | None) -> str | None:
    """The ETag when ``If-None-Match`` names the rollup answer to this very request at this version:
    such an ETag was only ever given to a valid request the rollup answered (the same parameters, the
    same caller and scope), so the 304 needs neither the parameters checked again nor anything
    computed, only the state row read."""
    if state is None or not state.usable or not request.headers.get("If-None-Match"):
        return None
    etag = _rollup_etag(request, state)
    return etag if etag_matches(request.headers.get("If-None-Match"), etag) else None


def _example() -> dict[str, Any]:
    measures = metrics.normalize(
        {
            "general_found": 10,
            "general_closed": 8,
            "general_closed_on_time": 7,
            "general_closed_handed_over": 7,
            "general_close_days": 47,
            "general_cost": Decimal("36500"),
            "major_found": 2,
            "major_closed": 1,
            "major_overdue_open": 1,
            "major_closed_on_time": 1,
            "major_closed_handed_over": 1,
            "major_close_days": 14,
            "major_in_plan": 1,
            "major_five_in_place": 1,
            "supervised": 1,
            "supervised_open": 1,
            "supervised_city": 1,
            "major_plan_funds": Decimal("12.5"),
        }
    )
    figures = {code: float(v) if isinstance(v, Decimal) else v for code, v in metrics.evaluate(measures).items()}
    return {
        "as_of": "2026-06-30T09:30:00+08:00",
        "group_by": ["county", "sector"],
        "period": {"found_after": "2026-01-01", "found_before": "2026-06-30"},
        "rows": [
            {"county": {"code": "410702", "name": "红旗区"}, "sector": {"code": "dust", "name": "粉尘涉爆"}, **figures}
        ],
        "total": figures,
    }


_DESCRIPTION = (
    "按一到两个维度分组的隐患整改统计，范围是调用者的辖区（责任单位联系人为本单位）；已作废的隐患不计入。"
    "辖区内的每一组都列出，没有隐患的组各项为 0、比率为 null。日期均按北京时间（Asia/Shanghai）。\n\n"
    "分组维度：" + "；".join(f"`{code}` {d.label}" for code, d in DIMENSIONS.items()) + "。\n\n"
    "指标：" + "；".join(f"`{m.code}` {m.label}" for m in METRICS) + "。定义见 docs/design.md“Reports as built”。\n\n"
    "响应带 `ETag` 和 `Cache-Control: private, max-age=0`：轮询时带上 `If-None-Match`，数字未变返回 304。"
    "由汇总表回答的统计，ETag 随汇总表的版本变化（任何隐患有变动、汇总表随之更新后即变，不随 `as_of`）；"
    "实时计算的统计（如不整月的期间、责任单位联系人），ETag 只随数字变化。"
    "`Accept: text/csv` 或 `?format=csv` 返回同样的行（CSV，UTF-8 带 BOM，"
    "中文表头，合计行在前）。"
)


# What ClosureQuerySerializer accepts, as the schema can say it: the years it allows; text of at most
# ``length`` characters, without NUL, not blank once stripped.
DATE = {"type": "string", "format": "date", "pattern": YEARS}


def _code(length: int) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": length, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"}


class ClosureStatsView(APIView):
    """统计：隐患整改情况。"""

    renderer_classes = [JSONRenderer, StatsCSVRenderer]
    state: rollup.State | None = None  # read by check_throttles
    revalidated: str | None = None  # the ETag, when If-None-Match names the answer to this request

    @extend_schema(
        summary="隐患整改统计（按区县、行业、月份等分组）",
        description=_DESCRIPTION,
        parameters=[
            OpenApiParameter(
                "group_by",
                {
                    "type": "array",
                    "items": {"type": "string", "enum": list(DIMENSIONS)},
                    "minItems": 1,
                    "maxItems": 2,
                    "uniqueItems": True,
                },
                style="form",
                explode=False,
                description="分组维度，最多两个，逗号分隔，如 `county,sector`；不填则只有一行（即合计）",
            ),
            OpenApiParameter("found_after", DATE, description="发现日期起（含，北京时间）"),
            OpenApiParameter("found_before", DATE, description="发现日期止（含，北京时间）"),
            OpenApiParameter("level", str, enum=["general", "major"], description="隐患等级：general 一般，major 重大"),
            OpenApiParameter(
                "region", _code(12), description="区划代码：只统计该区划及其下级（须在本人辖区内，否则 404）"
            ),
            OpenApiParameter("sector", _code(32), description="行业领域代码：只统计该行业及其下级行业"),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="csv：以 CSV 返回（同 Accept: text/csv）"
            ),
            OpenApiParameter(
                "If-None-Match", str, OpenApiParameter.HEADER, description="上次响应的 ETag；数字未变时返回 304"
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(ClosureStatsSerializer, description="统计结果"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="同样的行，CSV 格式"),
            304: OpenApiResponse(description="数字未变化（If-None-Match 与 ETag 一致）"),
            400: OpenApiResponse(
                ErrorSerializer, description="参数有误：未知参数、未知维度、超过两个维度、日期格式或先后不对"
            ),
            404: OpenApiResponse(ErrorSerializer, description="区划不存在或不在辖区内"),
        },
        examples=[
            OpenApiExample(
                "红旗区、粉尘涉爆，2026 年上半年",
                value=_example(),
                response_only=True,
                status_codes=["200"],
                media_type="application/json",
            )
        ],
    )
    def get(self, request: Request) -> Response:
        repeated = sorted(name for name in request.query_params if len(request.query_params.getlist(name)) > 1)
        if repeated:
            raise exceptions.ValidationError({name: [_("该参数只能出现一次。")] for name in repeated})
        # A parameter given is a parameter meant (as on every list, core/api/filtering.py): not empty.
        empty = sorted(name for name, value in request.query_params.items() if value == "")
        if empty:
            raise exceptions.ValidationError({name: [_("参数值不能为空。")] for name in empty})
        state, etag = self.state, self.revalidated
        if etag is not None:
            return Response(status=304, headers=self._headers(request, etag))
        params = ClosureQuerySerializer(data=request.query_params, context={"request": request})
        params.is_valid(raise_exception=True)
        query = params.to_query()
        etag = rollup_etag(request, query, state)
        answer = None
        if etag is not None:
            assert state is not None
            if etag_matches(request.headers.get("If-None-Match"), etag):
                return Response(status=304, headers=self._headers(request, etag))
            answer = kept.answer_for(request.user, query, request.accepted_media_type, state)
            found = kept.served(answer, state) if answer is not None else None
            if found is not None:
                content, content_type = found
                return HttpResponse(content, content_type=content_type, headers=self._headers(request, etag))
        csv = isinstance(request.accepted_renderer, StatsCSVRenderer)
        content = kept.json_from_rollup(request.user, query, state) if etag is not None and not csv else None
        if content is not None:
            response = HttpResponse(
                content, content_type=kept.content_type(kept.JSON), headers=self._headers(request, etag)
            )
            if answer is not None:
                kept.keep(answer, content, response["Content-Type"])
                kept.remember(answer, request.user, request.query_params)
            return response
        data = kept.table_data(tables.closure_table(user=request.user, query=query, numbers=not csv, state=state))
        if etag is None:
            etag = figures_etag(data, request.accepted_media_type)
            if etag_matches(request.headers.get("If-None-Match"), etag):
                return Response(status=304, headers=self._headers(request, etag))
        response = Response(data, headers=self._headers(request, etag))
        if answer is not None:
            kept_answer, user, params = answer, request.user, request.query_params

            def keep(rendered: Response) -> None:  # a callback's return value would replace the response
                kept.keep(kept_answer, rendered.content, rendered["Content-Type"])
                kept.remember(kept_answer, user, params)

            response.add_post_render_callback(keep)
        return response

    def check_throttles(self, request: Request) -> None:
        """Called by DRF once the caller is authenticated and allowed, before the rate is counted: a
        revalidation of a rollup answer is settled here, and one that matches (a 304: the state row read,
        nothing else) is not counted against the caller's rate, since counting it (a Redis round trip)
        cost as much as answering it. Anything else is counted as on every endpoint."""
        # The version is read before computing: the figures are then at least as new as their ETag says.
        self.state = rollup.current()
        self.revalidated = revalidated(request, self.state)
        if self.revalidated is None:
            super().check_throttles(request)

    def _headers(self, request: Request, etag: str) -> dict[str, str]:
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if isinstance(request.accepted_renderer, StatsCSVRenderer):
            headers["Content-Disposition"] = 'attachment; filename="closure-stats.csv"'
        return headers

    def perform_content_negotiation(self, request: Request, force: bool = False):
        try:
            return super().perform_content_negotiation(request, force)
        except exceptions.NotAcceptable:
            raise
        except Exception:
            # DRF answers an unknown ?format= with a bare 404; it is a bad value like any other.
            raise exceptions.ValidationError({"format": [_("可选格式：json、csv。")]}) from None

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400 and isinstance(getattr(response, "accepted_renderer", None), StatsCSVRenderer):
            # Errors keep the API's one JSON shape whatever representation was asked for.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response
