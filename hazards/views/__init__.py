"""The browser app: reading pages, 隐患详情 with its action forms, 列单, and printable documents."""

from hazards.views.create import hazard_new
from hazards.views.detail import hazard_action, hazard_detail, working_days_preview
from hazards.views.documents import rectification_notice, supervision_notice
from hazards.views.edit import hazard_edit
from hazards.views.pages import attachment_download, hazard_list, home

__all__ = [
    "attachment_download",
    "hazard_action",
    "hazard_detail",
    "hazard_edit",
    "hazard_list",
    "hazard_new",
    "home",
    "rectification_notice",
    "supervision_notice",
    "working_days_preview",
]
