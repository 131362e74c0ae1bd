"""The columns of the 台账 template, in order: the header a user reads and the key the code uses."""

from __future__ import annotations

from core.imports.columns import Column, labels
from hazards.choices import Category, Factor, Level, MajorStandard, Source

# 整改状态 as written on paper. A ledger has no 整改后 photos, and 办单 requires one, so a row recorded as
# rectified or closed is imported as 已交办 and the preview says so (docs/design.md).
LISTED, ASSIGNED, RECTIFIED, CLOSED = "已登记", "已交办", "已整改", "已销号"
PAPER_STATUSES = (LISTED, ASSIGNED, RECTIFIED, CLOSED)


COLUMNS: tuple[Column, ...] = (
    Column("found_on", "发现日期", required=True, width=12),
    Column("region", "所在区划(代码)", required=True, width=14),
    Column("address", "具体位置", width=20),
    Column("unit", "责任单位(统一社会信用代码或名称)", width=28),
    Column("sector", "行业领域", required=True, width=16),
    Column("title", "隐患名称", required=True, width=24),
    Column("description", "隐患描述", required=True, width=36),
    Column("category", "隐患类别", required=True, choices=labels(Category)),
    Column("factor", "隐患因素", required=True, choices=labels(Factor)),
    Column("source", "隐患来源", required=True, choices=labels(Source)),
    Column("level", "隐患等级", required=True, choices=labels(Level), width=10),
    Column("major_standard", "判定标准(重大隐患)", choices=labels(MajorStandard), width=30),
    Column("major_standard_item", "判定条款(重大隐患)", width=18),
    Column("responsible_person", "整改责任人", width=12),
    Column("requirements", "整改要求", width=24),
    Column("deadline", "整改期限", width=12),
    Column("status", "整改状态", required=True, choices=PAPER_STATUSES, width=10),
)
HEADERS = tuple(column.header for column in COLUMNS)
BY_KEY = {column.key: column for column in COLUMNS}
