from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of docs/design.md; each decides what a user may do and, with the home region, see."""

    COUNTY_OFFICER = "county_officer", _("区县安全员")
    UNIT_CONTACT = "unit_contact", _("责任单位联系人")
    SUPERVISOR = "supervisor", _("监管审核人")
    MUNICIPAL_OFFICE = "municipal_office", _("市安委办")
    API_CLIENT = "api_client", _("API 客户端")
    ADMINISTRATOR = "administrator", _("系统管理员")


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    VILLAGE = "village", _("村（社区）")


# GB/T 2260 codes are 6 digits down to the county; the statistical division codes below are 12.
REGION_CODE_LENGTH = {
    RegionLevel.PROVINCE: 6,
    RegionLevel.CITY: 6,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 12,
    RegionLevel.VILLAGE: 12,
}
REGION_PARENT_LEVEL = {
    RegionLevel.PROVINCE: None,
    RegionLevel.CITY: RegionLevel.PROVINCE,
    RegionLevel.COUNTY: RegionLevel.CITY,
    RegionLevel.TOWNSHIP: RegionLevel.COUNTY,
    RegionLevel.VILLAGE: RegionLevel.TOWNSHIP,
}


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    GOVERNMENT_DEPARTMENT = "government_department", _("政府部门")
    TOWNSHIP_GOVERNMENT = "township_government", _("乡镇政府（街道办）")
    VILLAGE_COMMITTEE = "village_committee", _("村（居）委会")
    OTHER = "other", _("其他")


# The kinds of unit due for inspection (应排查, the national tables' 生产经营单位, in 家): enterprises, and
# the schools, hospitals and other institutions the 交通运输等 table has rows for. Government bodies
# (departments, township governments, village committees) answer for hazards but are not inspected units.
DUE_UNIT_KINDS = (UnitKind.ENTERPRISE, UnitKind.OTHER)
