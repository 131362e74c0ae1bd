"""REST API v1: the official tables (``GET /api/v1/stats/tables/{name}/``) and exports
(``POST /api/v1/exports/`` → 202 with the job; its progress and file at ``/api/v1/jobs/{id}/``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Region
from core.api.parsers import JSONParser
from core.api.serializers import ErrorSerializer, JobSerializer, StrictSerializer
from core.filters import YEARS
from reports import exports, official
from reports.api.serializers import EARLIEST, LATEST
from reports.layouts import LAYOUTS


def _in_range(value):
    if not EARLIEST <= value <= LATEST:
        raise serializers.ValidationError(_("日期应在 1900 年至 2100 年之间。"))
    return value


class TableQuerySerializer(StrictSerializer):
    """``?date=…`` (the national tables: 1 January to that date) or ``?found_after=…&found_before=…``
    (各地 / 各部门), and ``region`` to narrow to a subtree of the caller's jurisdiction."""

    date = serializers.DateField(required=False, source="report_date", validators=[_in_range])
    found_after = serializers.DateField(required=False, validators=[_in_range])
    found_before = serializers.DateField(required=False, validators=[_in_range])
    region = serializers.CharField(required=False, max_length=12)

    def validate_region(self, value: str) -> Region:
        region = Region.objects.visible_to(self.context["request"].user).filter(code=value).first()
        if region is None:
            raise exceptions.NotFound(_("未找到该区划，或不在您的辖区内。"))
        return region

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        national = LAYOUTS[self.context["table"]].kind == "national"
        given = set(self.initial_data)
        wrong = given & ({"found_after", "found_before"} if national else {"date"})
        if wrong:
            hint = (
                _("月报表按截止日期统计，请用 date。") if national else _("请用 found_after / found_before 指定期间。")
            )
            raise serializers.ValidationError({name: [hint] for name in sorted(wrong)})
        after, before = attrs.get("found_after"), attrs.get("found_before")
        if after and before and after > before:
            raise serializers.ValidationError({"found_before": [_("截止日期不能早于起始日期。")]})
        return attrs


class HeaderCellSerializer(serializers.Serializer):
    text = serializers.CharField()
    rowspan = serializers.IntegerField(min_value=1)
    colspan = serializers.IntegerField(min_value=1)


class TableColumnSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标代码（reports.metrics）")
    label = serializers.CharField()
    unit = serializers.CharField(help_text="家、项、% 或 万元")
    kind = serializers.ChoiceField(choices=["count", "rate", "funds"])
    available = serializers.BooleanField(help_text="false：尚无数据来源，各行为 null，表中显示“—”")


class TableRowSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="行名（合计、行业和领域、区县或部门）")
    key = serializers.CharField(help_text="行的代码：月报表的行、区划代码或部门代码；合计为空")
    is_total = serializers.BooleanField()
    values = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="按列代码：数量；比率 0–1（无分母时为 null）；不可用的列为 null",
    )
    cells = serializers.ListField(child=serializers.CharField(), help_text="按表中印出的样子：百分数一位小数，“/”，“—”")


class TableSectorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TablePeriodSerializer(serializers.Serializer):
    found_after = serializers.DateField()
    found_before = serializers.DateField()


class OfficialTableSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="表名：" + "、".join(LAYOUTS))
    title = serializers.CharField()
    as_of = serializers.DateTimeField(help_text="数据截至")
    period = TablePeriodSerializer(help_text="发现日期（含）")
    scope = serializers.CharField(help_text="填报单位：调用者的辖区或所选区划")
    header = serializers.ListField(child=HeaderCellSerializer(many=True), help_text="表头，逐行，含合并单元格")
    columns = TableColumnSerializer(many=True)
    rows = TableRowSerializer(many=True)
    unmapped_sectors = TableSectorSerializer(many=True, help_text="未对应到月报表任何一行的行业")
    unmapped_found = serializers.IntegerField(help_text="这些行业的隐患数（未计入本表）")
    unmapped_units = serializers.IntegerField(help_text="这些行业的应排查单位数（家，未计入本表的应排查）")
    units_without_sector = serializers.IntegerField(
        help_text="未填行业领域的应排查单位数（家，未计入本表任何一行，请在单位信息中补填）"
    )


def _example(name: str) -> dict[str, Any]:
    layout = LAYOUTS[name]
    values = {c.code: (None if not c.available else 0.5 if c.kind == "rate" else 2) for c in layout.columns}
    cells = ["—" if not c.available else "50.0" if c.kind == "rate" else "2" for c in layout.columns]
    return {
        "name": name,
        "title": layout.title,
        "as_of": "2026-06-30T09:30:00+08:00",
        "period": {"found_after": "2026-01-01", "found_before": "2026-06-30"},
        "scope": "新乡市",
        "header": [[cell.as_dict() for cell in cells_] for cells_ in layout.header],
        "columns": [
            {"code": c.code, "label": c.label, "unit": c.unit, "kind": c.kind, "available": c.available}
            for c in layout.columns
        ],
        "rows": [{"label": "合计", "key": "", "is_total": True, "values": values, "cells": cells}],
        "unmapped_sectors": [],
        "unmapped_found": 0,
        "unmapped_units": 0,
        "units_without_sector": 0,
    }


# What TableQuerySerializer accepts, as the schema can say it (as reports/api/views.py does).
DATE = {"type": "string", "format": "date", "pattern": YEARS}
REGION = {"type": "string", "minLength": 1, "maxLength": 12, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"}


def _strict_params(request: Request) -> None:
    repeated = sorted(name for name in request.query_params if len(request.query_params.getlist(name)) > 1)
    if repeated:
        raise exceptions.ValidationError({name: [_("该参数只能出现一次。")] for name in repeated})
    empty = sorted(name for name, value in request.query_params.items() if value == "")
    if empty:
        raise exceptions.ValidationError({name: [_("参数值不能为空。")] for name in empty})


class OfficialTableView(APIView):
    """统计表（月报表、各地、各部门），范围是调用者的辖区。"""

    table = ""

    def get(self, request: Request, **kwargs) -> Response:
        if not official.may_see_tables(request.user):
            raise exceptions.PermissionDenied(_("统计表供各级安委办和监管部门使用。"))
        _strict_params(request)
        params = TableQuerySerializer(data=request.query_params, context={"request": request, "table": self.table})
        params.is_valid(raise_exception=True)
        table = official.official_table(self.table, user=request.user, **params.validated_data)
        return Response(official.as_data(table), headers={"Cache-Control": "private, max-age=0"})


def table_view(name: str):
    layout = LAYOUTS[name]
    national = layout.kind == "national"
    if national:
        period = [
            OpenApiParameter("date", DATE, description="截止日期（含，北京时间），自当年 1 月 1 日起累计；默认今天")
        ]
        what = "自当年 1 月 1 日累计到 date（默认今天），合计行在前；各行为行业和领域"
        what += "（行业对应见管理后台“统计表行业对应”）。"
        what += "应排查 / 实际排查 / 覆盖率（家）按单位自身的行业领域计入各行：应排查为辖区内在用的企业和学校、医院等"
        what += "其他单位，实际排查为同期内至少完成一次检查（含企业自查）或登记过企业自查隐患的单位；"
        what += "未填行业领域的单位不计入任何一行，其数量见 units_without_sector。"
    else:
        period = [
            OpenApiParameter("found_after", DATE, description="发现日期起（含）；默认 found_before 当年 1 月 1 日"),
            OpenApiParameter("found_before", DATE, description="发现日期止（含）；默认今天"),
        ]
        what = "每个区县（各地：市看到全部区县，区县只看到本区县）或每个行业主管部门（各部门）一行，合计行在后。"
    schema = extend_schema(
        operation_id=f"stats_tables_{name}",
        summary=layout.title,
        description=what + "比率 0–1，无分母时为 null（表中“/”）。单位联系人无权查看（403）。",
        parameters=[
            *period,
            OpenApiParameter(
                "region", REGION, description="区划代码：只统计该区划及其下级（须在本人辖区内，否则 404）"
            ),
        ],
        responses={
            200: OfficialTableSerializer,
            400: OpenApiResponse(ErrorSerializer, description="参数有误"),
            403: OpenApiResponse(ErrorSerializer, description="单位联系人无权查看统计表"),
            404: OpenApiResponse(ErrorSerializer, description="区划不存在或不在辖区内"),
        },
        examples=[OpenApiExample(layout.short_title, value=_example(name), response_only=True, status_codes=["200"])],
    )

    @schema
    def get(self, request: Request, **kwargs) -> Response:
        return OfficialTableView.get(self, request, **kwargs)

    view = type(f"{name.title()}TableView", (OfficialTableView,), {"table": name, "__doc__": layout.title, "get": get})
    return view.as_view()


# --- exports ------------------------------------------------------------------------------------------


class ExportRequestSerializer(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=[("ledger", "隐患台账"), ("stats", "整改统计"), ("table", "统计表")],
        help_text="ledger：隐患台账（params 同 GET /hazards/ 的筛选参数）；stats：整改统计（params 同 "
        "GET /stats/closure/）；table：统计表（table 为表名，params 同 GET /stats/tables/{table}/）",
    )
    table = serializers.ChoiceField(choices=list(LAYOUTS), required=False, help_text="kind=table 时必填")
    params = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="查询参数：值为字符串，或（可多选的参数）字符串数组",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == "table" and not attrs.get("table"):
            raise serializers.ValidationError({"table": [_("导出统计表时须指定表名。")]})
        for key, value in attrs.get("params", {}).items():
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str | int | float | bool) for v in values):
                raise serializers.ValidationError({"params": {key: [_("参数值应为字符串或字符串数组。")]}})
        return attrs


class ExportView(APIView):
    """导出 xlsx：后台任务，完成后从任务下载文件。"""

    # JSON only: a form would turn ``params`` (an object of strings and arrays) into something else.
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="exports_create",
        summary="发起导出（xlsx）",
        description=(
            "导出隐患台账（任意列表筛选条件）、整改统计或统计表为 xlsx。返回 202 与后台任务；轮询 "
            "`GET /api/v1/jobs/{id}/` 看进度，完成后从 `result_url` 下载（仅发起人可下载，其他人 404）。"
            "文件按发起人当时的辖区生成，完成 24 小时后过期删除。参数有误返回 400，区划不在辖区内 404。"
        ),
        request=ExportRequestSerializer,
        responses={
            202: OpenApiResponse(JobSerializer, description="已排队的导出任务"),
            400: OpenApiResponse(ErrorSerializer, description="参数有误"),
            403: OpenApiResponse(ErrorSerializer, description="单位联系人无权导出统计表"),
            404: OpenApiResponse(ErrorSerializer, description="区划不存在或不在辖区内"),
        },
        examples=[
            OpenApiExample(
                "红旗区逾期的重大隐患台账",
                value={"kind": "ledger", "params": {"region": "410702", "level": "major", "overdue": "true"}},
                request_only=True,
            ),
            OpenApiExample(
                "工矿企业月报表，截至 6 月 30 日",
                value={"kind": "table", "table": "mine", "params": {"date": "2026-06-30"}},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            job = exports.export_create(
                user=request.user, kind=data["kind"], params=data.get("params", {}), table=data.get("table", "")
            )
        location = request.build_absolute_uri(reverse("api:job-detail", args=[job.pk]))
        return Response(
            JobSerializer(job, context={"request": request}).data, status=202, headers={"Location": location}
        )
