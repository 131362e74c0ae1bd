from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import REGION_CODE_LENGTH, REGION_PARENT_LEVEL, RegionLevel, Role, UnitKind
from accounts.querysets import RegionQuerySet, ResponsibleUnitQuerySet, UserManager
from accounts.validators import validate_credit_code
from core.reference import ReferenceCache

digits_only = RegexValidator(r"^\d+$", _("区划代码只能由数字组成。"))


class Region(models.Model):
    """行政区划: province, city and county by GB/T 2260, township and village by statistical code.

    ``path`` is the chain of codes from the root ("/410000/410700/410702/"), so "is X inside Y" is a
    prefix test that an index answers.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True, validators=[digits_only])
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=80, unique=True, editable=False)

    objects = RegionQuerySet.as_manager()
    # Lists name each hazard's region and county from here rather than by joins (core/reference.py).
    cached = ReferenceCache(key="code")

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            # visible_to() and Region.within() filter by path prefix.
            models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.path = f"{self.parent.path if self.parent else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        expected_length = REGION_CODE_LENGTH.get(self.level)
        if expected_length and len(self.code) != expected_length:
            raise ValidationError({"code": _("该层级的区划代码应为 %(n)d 位。") % {"n": expected_length}})
        parent_level = REGION_PARENT_LEVEL.get(self.level)
        if self.parent is None:
            return
        if parent_level and self.parent.level != parent_level:
            raise ValidationError({"parent": _("上级区划的层级不正确。")})
        if not self.code.startswith(self.parent.code_prefix):
            raise ValidationError({"code": _("区划代码与上级区划不一致。")})

    @property
    def code_prefix(self) -> str:
        """The significant leading digits of this code that every descendant code shares."""
        significant = {
            RegionLevel.PROVINCE: 2,
            RegionLevel.CITY: 4,
            RegionLevel.COUNTY: 6,
            RegionLevel.TOWNSHIP: 9,
            RegionLevel.VILLAGE: 12,
        }
        return self.code[: significant[self.level]]

    def county_ids(self) -> list[int]:
        """The ids of the counties in this region (itself, for a county), in order, from the regions each
        process keeps: lists of hazards pass them as ids rather than a subquery of regions, which made
        PostgreSQL expect a handful of rows (docs/reports.md §6)."""
        regions = cast(list[Region], Region.cached.all())
        return sorted(r.pk for r in regions if r.level == RegionLevel.COUNTY and r.path.startswith(self.path))

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)

    @property
    def county(self) -> Region | None:
        """The county-level division this region belongs to (itself for a county)."""
        if self.level == RegionLevel.COUNTY:
            return self
        if self.level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
            # Regions never change once made (accounts/admin.py): the process keeps them.
            county = Region.cached.get_by_key(self.code[:6])
            if county is None:
                raise Region.DoesNotExist(self.code[:6])
            return cast(Region, county)
        return None


class SupervisingDepartment(models.Model):
    """行业主管部门: 管行业必须管安全 — each sector maps to the department that supervises it."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("行业主管部门")
        verbose_name_plural = _("行业主管部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    """行业领域: a row of the national statistics tables, supervised by one department."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级行业"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    department = models.ForeignKey(
        SupervisingDepartment, verbose_name=_("行业主管部门"), on_delete=models.PROTECT, related_name="sectors"
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    # Lists name each hazard's sector from here rather than by a join (core/reference.py).
    cached = ReferenceCache(key="code")

    class Meta:
        # Moved from the hazards app without moving data.
        db_table = "hazards_sector"
        verbose_name = _("行业领域")
        verbose_name_plural = _("行业领域")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name}·{self.name}" if self.parent_id else self.name


class ResponsibleUnit(models.Model):
    """责任单位: the enterprise, department, township or village that must fix a hazard."""

    name = models.CharField(_("单位名称"), max_length=128)
    kind = models.CharField(_("单位类型"), max_length=32, choices=UnitKind.choices, default=UnitKind.ENTERPRISE)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="units")
    address = models.CharField(_("地址"), max_length=256, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code])
    industry_code = models.CharField(
        _("国民经济行业分类"), max_length=8, blank=True, help_text=_("GB/T 4754-2017 代码，可不填")
    )
    # 行业领域: the row of the national tables the unit is counted in for 排查覆盖率 (inspections.coverage).
    # Empty for units recorded before units had one and not backfilled (accounts/backfill.py).
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("行业领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("统计排查覆盖率时按此行业计入月报表的行"),
    )
    name_initials = models.CharField(_("名称拼音首字母"), max_length=128, blank=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = ResponsibleUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["name"]
        constraints = [
            # One unit, one record: the credit code is unique whenever it is given.
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="unit_credit_code_unique",
                violation_error_message=_("该统一社会信用代码已登记，一个单位只建一条记录。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.credit_code = self.credit_code.strip().upper()
        # pypinyin's dictionaries cost ~55 MB: loaded by the first process that saves a unit, not by every
        # process that imports the models (a Celery worker exporting a ledger never needs them).
        from pypinyin import Style, lazy_pinyin

        self.name_initials = "".join(lazy_pinyin(self.name, style=Style.FIRST_LETTER)).lower()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None) -> None:
        # Codes are often typed in lower case; GB 32100 letters are capitals.
        self.credit_code = (self.credit_code or "").strip().upper()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        if self.kind == UnitKind.ENTERPRISE and not self.credit_code:
            raise ValidationError({"credit_code": _("企业应填写统一社会信用代码。")})

    @property
    def picker_label(self) -> str:
        """How a unit is told apart in a picker: names repeat, credit codes do not."""
        return f"{self.name}（{self.credit_code or _('无信用代码')}）"


class User(AbstractUser):
    """A person (or, for the API client role, a system) with one role and one jurisdiction."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.COUNTY_OFFICER)
    region = models.ForeignKey(
        Region,
        verbose_name=_("辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("本人可见范围：该区划及其下级全部区划"),
    )
    unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("所属责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text=_("责任单位联系人必填"),
    )
    phone = models.CharField(_("手机号"), max_length=32, blank=True)
    is_leader = models.BooleanField(_("分管领导"), default=False, help_text=_("逾期升级提醒发给辖区内的分管领导"))

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and self.role != Role.ADMINISTRATOR:
            raise ValidationError({"role": _("超级用户的角色只能是系统管理员。")})
        if self.role == Role.UNIT_CONTACT and self.unit_id is None:
            raise ValidationError({"unit": _("责任单位联系人必须指定所属责任单位。")})
        if self.role not in (Role.ADMINISTRATOR, Role.UNIT_CONTACT) and self.region_id is None:
            raise ValidationError({"region": _("该角色必须指定辖区。")})


class ApiToken(models.Model):
    """API 令牌: a client's key, stored only as its SHA-256 digest, valid until ``expires_at``.

    The key is shown once, when issued (``accounts.tokens``); what the database holds cannot be used to
    sign in. A key is 160 random bits, so a fast hash is enough: nothing can be guessed offline.
    """

    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.digest[:8]}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
