"""The import API of every kind, mounted by each app at ``/api/v1/imports/<kind>/``: the template, an upload
checked and previewed (the same checks as the pages), the preview's report, and confirming, which
answers the core Job to poll at ``/api/v1/jobs/{id}/``. Refused by role: 403; a file refused by its
content, size or type: 400 (413 over the size limit) with the reason; nothing stored."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, parsers, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer, JobSerializer, StrictSerializer
from core.errors import NotAllowed
from core.imports import run, sheets
from core.imports.kinds import ImportKind
from core.imports.rows import DUPLICATE, INVALID, NEW, UPDATE, Preview
from core.imports.views import PREVIEW_ROWS, XLSX, confirm

FORBIDDEN = OpenApiResponse(ErrorSerializer, description="您的角色无权导入此类台账")
NOT_STAGED = OpenApiResponse(ErrorSerializer, description="没有这个待导入的文件（不是您上传的，或已导入、已过期）")
BAD_QUERY = OpenApiResponse(ErrorSerializer, description="查询参数有误")
FILE_PARAMETER = OpenApiParameter("file", str, required=True, description="上传预览时返回的文件引用（file）")


class UploadSerializer(StrictSerializer):
    file = serializers.FileField(label=_("台账文件（.xlsx，或 UTF-8 / GBK 编码的 .csv）"))


class ConfirmSerializer(StrictSerializer):
    file = serializers.CharField(max_length=200, label=_("上传预览时返回的文件引用"))


class RowErrorSerializer(serializers.Serializer):
    column = serializers.CharField(help_text="列（表头）")
    message = serializers.CharField(help_text="原因")


class PreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="表格中的行号（表头为第 1 行）")
    outcome = serializers.ChoiceField(
        choices=[NEW, UPDATE, DUPLICATE, INVALID], help_text="新增、更新、重复（跳过）或有错误"
    )
    duplicate_of = serializers.CharField(help_text="更新或重复时：已有的记录，或文件中的“第 N 行”")
    errors = RowErrorSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())
    cells = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="按列键的单元格文本")


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    new = serializers.IntegerField()
    update = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    invalid = serializers.IntegerField()
    notes = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="确认导入或下载检查结果时回传的文件引用")
    importable = serializers.BooleanField(help_text="无错误且有要新增或更新的行时为 true")
    header_errors = serializers.ListField(child=serializers.CharField())
    counts = CountsSerializer()
    rows = PreviewRowSerializer(many=True, help_text=f"有错误的行在前，至多 {PREVIEW_ROWS} 行；全部行见 report_url")
    report_url = serializers.URLField(help_text="逐行检查结果（.xlsx）的下载地址")


class MayImport(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not view.kind.may_import(request.user):
            raise NotAllowed(_("您的角色无权导入%(title)s。") % {"title": view.kind.title})
        return True


class ImportView(generics.GenericAPIView):
    kind: ImportKind = None  # type: ignore[assignment]  # given by as_view(kind=…)
    permission_classes = [permissions.IsAuthenticated, MayImport]
    serializer_class = UploadSerializer
    pagination_class = None
    filter_backends: list = []

    def _staged(self, reference: str) -> str | None:
        return run.staged_path(self.request.user, f"{run.FOLDER}/{self.request.user.pk}/{reference}")


class UploadView(ImportView):
    """上传台账：按内容检查文件，逐行检查并预览（不写入任何数据）。"""

    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        summary="上传并预览（multipart；.xlsx 或 UTF-8 / GBK 编码的 .csv）",
        request={"multipart/form-data": UploadSerializer},
        responses={200: PreviewSerializer, 413: OpenApiResponse(ErrorSerializer, "文件过大")},
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        file_type, preview = run.preview_upload(self.kind, upload, upload.name or "", upload.size, user=request.user)
        path = run.stage(upload, user=request.user, kind=file_type)
        return Response(self._preview_body(preview, path.rsplit("/", 1)[1]))

    def _preview_body(self, preview: Preview, reference: str) -> dict:
        shown = sorted(preview.rows, key=lambda row: row.outcome != INVALID)[:PREVIEW_ROWS]
        report = self.request.build_absolute_uri(reverse(f"api:import-{self.kind.name}-report"))
        return {
            "file": reference,
            "importable": preview.importable,
            "header_errors": preview.header_errors,
            "counts": preview.counts(),
            "rows": [
                {
                    "row": row.number,
                    "outcome": row.outcome,
                    "duplicate_of": row.duplicate_of,
                    "errors": [{"column": column, "message": message} for column, message in row.errors],
                    "notes": row.notes,
                    "cells": row.cells,
                }
                for row in shown
            ],
            "report_url": f"{report}?file={reference}",
        }


class _FileView(ImportView):
    def perform_content_negotiation(self, request: Request, force: bool = False):
        # A spreadsheet is sent as what it is, whatever the client accepts; errors still come as JSON.
        return super().perform_content_negotiation(request, force=True)


class TemplateView(_FileView):
    """下载空白台账模板（含下拉列表）。"""

    @extend_schema(summary="下载空白模板（.xlsx）", responses={(200, XLSX): OpenApiTypes.BINARY, 403: FORBIDDEN})
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(sheets.template(self.kind, request.user), content_type=XLSX)
        response["Content-Disposition"] = "attachment; filename=template.xlsx"
        return response


class ReportView(_FileView):
    """下载已上传文件的逐行检查结果（行号、结果、错误的列与原因）。"""

    @extend_schema(
        summary="下载逐行检查结果（.xlsx）",
        parameters=[FILE_PARAMETER],
        responses={(200, XLSX): OpenApiTypes.BINARY, 400: BAD_QUERY, 403: FORBIDDEN, 404: NOT_STAGED},
    )
    def get(self, request: Request) -> HttpResponse:
        path = self._staged(request.query_params.get("file", ""))
        if path is None:
            raise Http404
        preview = run.preview_staged(self.kind, path, user=request.user)
        response = HttpResponse(sheets.report(self.kind, preview.rows), content_type=XLSX)
        response["Content-Disposition"] = "attachment; filename=report.xlsx"
        return response


class ConfirmView(ImportView):
    """确认导入：排队后台任务，复核文件后整批写入（或一条也不写入）。"""

    serializer_class = ConfirmSerializer

    @extend_schema(summary="确认导入（返回后台任务，按编号轮询）", responses={202: JobSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reference = serializer.validated_data["file"]
        job = None
        if self._staged(reference) is not None:
            with transaction.atomic():
                job = confirm(self.kind, request.user, f"{run.FOLDER}/{request.user.pk}/{reference}")
        if job is None:
            raise ValidationError({"file": ValidationError(str(NOT_STAGED.description), code="not_staged")})
        body = JobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


def urlpatterns(kind: ImportKind) -> list:
    """The API of ``kind`` at ``imports/<kind.name>/``, named ``import-<kind.name>[-…]``."""
    from django.urls import path

    prefix, name = f"imports/{kind.name}/", f"import-{kind.name}"
    return [
        path(prefix, UploadView.as_view(kind=kind), name=name),
        path(f"{prefix}template/", TemplateView.as_view(kind=kind), name=f"{name}-template"),
        path(f"{prefix}report/", ReportView.as_view(kind=kind), name=f"{name}-report"),
        path(f"{prefix}confirm/", ConfirmView.as_view(kind=kind), name=f"{name}-confirm"),
    ]
