"""factory_boy factories for reference data; hazards themselves are made through the services."""

from __future__ import annotations

import random

import factory

from accounts.choices import RegionLevel, Role, UnitKind
from accounts.models import Region, ResponsibleUnit, Sector, SupervisingDepartment, User
from accounts.validators import CREDIT_CODE_ALPHABET, credit_code_check_character


def make_credit_code(seed: int, region_code: str = "410702") -> str:
    """A well-formed 统一社会信用代码 (企业, 法人) for a region, deterministic per seed."""
    rng = random.Random(seed)
    body = "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    first17 = f"91{region_code}{body}"
    return first17 + credit_code_check_character(first17)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"区划{n}")
    level = RegionLevel.COUNTY


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisingDepartment
        django_get_or_create = ("code",)

    code = "emergency"
    name = "应急管理局"


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sector{n}")
    name = factory.Sequence(lambda n: f"行业{n}")
    department = factory.SubFactory(DepartmentFactory)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponsibleUnit

    name = factory.Sequence(lambda n: f"新乡市测试化工有限公司{n}")
    kind = UnitKind.ENTERPRISE
    credit_code = factory.Sequence(lambda n: make_credit_code(n))
    contact_name = "张三"
    contact_phone = "13800000000"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.COUNTY_OFFICER
    password = factory.django.Password("demo12345")
