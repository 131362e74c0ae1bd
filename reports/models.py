"""The rollup: every measure of ``reports.metrics``, summed per slice of hazards, so that a report reads a
few thousand stored rows instead of a million hazards (docs/design.md, "Reports as built").

A slice is the finest grain the report dimensions need: county × township × sector × month of discovery ×
level × source. The supervising department and the sector group are read through the sector at query
time, so moving a sector in the admin needs no rebuild. A row holds exactly the measures
``metrics.measures()`` computes, one column each, and a coarser figure is their SUM; rates are worked
out afterwards by the same ``metrics.evaluate`` as the live computation.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Sector
from hazards.choices import Level, Source
from reports import metrics
from reports.layouts import ROW_CHOICES


def _reference(model: type[models.Model], label: str) -> models.ForeignKey:
    """A slice's region or sector. The rows are copied from the hazards (which hold the references), so
    the database checks no foreign key and keeps no index of its own for it: a full rebuild writes
    ~300,000 rows, and checking three keys each took longer than computing them (bench.reports.rollup).
    Deleting a region or a sector still deletes its rows (Django's CASCADE); the unique index leads with
    the county, and a refresh or a reading filters on it."""
    return models.ForeignKey(
        model, verbose_name=label, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )


class ClosureRollup(models.Model):
    """隐患整改统计汇总: the measures of one slice of the counted (non-voided) hazards."""

    county = _reference(Region, _("区县"))
    # The hazard's 乡镇（街道）, or its county for a hazard recorded at county level (reports.dimensions.Township).
    township = _reference(Region, _("乡镇（街道）"))
    sector = _reference(Sector, _("行业领域"))
    month = models.DateField(_("发现月份"))  # the first day of the local (Asia/Shanghai) month
    level = models.CharField(_("隐患等级"), max_length=16, choices=Level.choices)
    source = models.CharField(_("隐患来源"), max_length=16, choices=Source.choices)

    class Meta:
        verbose_name = _("整改统计汇总")
        verbose_name_plural = _("整改统计汇总")
        constraints = [
            # One row per slice; its leading (county, month) is what a refresh deletes and rewrites.
            models.UniqueConstraint(
                fields=["county", "month", "township", "sector", "level", "source"], name="rollup_one_row_per_slice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_id}/{self.township_id} {self.sector_id} {self.month:%Y-%m} {self.level} {self.source}"


def _measure_field(name: str) -> models.Field:
    if name.endswith("close_days"):
        # Summed as the live query sums it (a duration), so both read back through ``metrics.normalize``;
        # null, like the live SUM, in a slice with nothing to add up.
        return models.DurationField(name, null=True)
    if name in ("major_plan_funds", "general_cost"):
        return models.DecimalField(name, max_digits=18, decimal_places=2, null=True)
    return models.PositiveIntegerField(name, default=0)


class CountyRollup(models.Model):
    """隐患整改统计汇总（区县）: the same measures summed over townships and sources, from ClosureRollup's
    rows. The reports most asked for (by county, sector, month or level, for a city or a county) read a
    tenth of the rows here."""

    county = _reference(Region, _("区县"))
    sector = _reference(Sector, _("行业领域"))
    month = models.DateField(_("发现月份"))
    level = models.CharField(_("隐患等级"), max_length=16, choices=Level.choices)

    class Meta:
        verbose_name = _("整改统计汇总（区县）")
        verbose_name_plural = _("整改统计汇总（区县）")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "month", "sector", "level"], name="county_rollup_one_row_per_slice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.sector_id} {self.month:%Y-%m} {self.level}"


# The columns are the measures, so a measure added to ``metrics`` is a column (and a migration) here.
for _model in (ClosureRollup, CountyRollup):
    for _name in metrics.measure_names():
        _model.add_to_class(_name, _measure_field(_name))
MEASURE_COLUMNS: tuple[str, ...] = metrics.measure_names()


class RollupState(models.Model):
    """Where the rollup stands: one row. A refresh holds it locked while it works, so one runs at a time."""

    # ``overdue_open`` depends on the date: the rows hold it as of this local date, and are read only on it.
    for_date = models.DateField(_("统计日期"), null=True, blank=True)
    # Every change whose event committed before this moment is in the rows (the API's ``as_of``).
    as_of = models.DateTimeField(_("数据截至"), null=True, blank=True)
    # Moves whenever rows are rewritten: the stats API's revalidation asks only this (reports/api/views.py).
    version = models.PositiveBigIntegerField(_("版本"), default=0)
    rebuilt_at = models.DateTimeField(_("上次全量重建"), null=True, blank=True)
    # The last hazard event read; ids below it that were not yet visible then (a transaction still open),
    # with when they were first missed, are looked for again until ``reports.rollup.GAP_PATIENCE`` passes.
    event_watermark = models.BigIntegerField(_("已读事件"), default=0)
    unseen_events = models.JSONField(_("待读事件"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("统计汇总状态")
        verbose_name_plural = _("统计汇总状态")

    def __str__(self) -> str:
        return f"{self.for_date} @ {self.as_of}"


class SectorTableRow(models.Model):
    """统计表行业对应: the row of the national monthly tables a sector's hazards are counted in, where it is
    not the default for the sector's code (reports.official.DEFAULT_ROWS); a sub-sector without one is
    counted in its parent's row."""

    sector = models.OneToOneField(
        Sector, verbose_name=_("行业领域"), on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    row = models.CharField(_("统计表行"), max_length=48, choices=ROW_CHOICES)

    class Meta:
        verbose_name = _("统计表行业对应")
        verbose_name_plural = _("统计表行业对应")

    def __str__(self) -> str:
        return f"{self.sector_id} → {self.row}"
