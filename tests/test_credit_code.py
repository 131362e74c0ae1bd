"""统一社会信用代码 validation after GB 32100."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import ResponsibleUnit
from accounts.validators import validate_credit_code
from tests.factories import UnitFactory, make_credit_code


def test_valid_code_passes():
    validate_credit_code("91350100M000100Y43")


def test_generated_codes_are_valid():
    for seed in range(50):
        validate_credit_code(make_credit_code(seed))


def test_bad_check_character_is_refused_in_chinese():
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100Y44")
    assert error.value.code == "check_character"
    assert "校验位" in error.value.messages[0]


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_wrong_length_is_refused(code):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.code == "length"
    assert "18 位" in error.value.messages[0]


def test_forbidden_letters_are_refused():
    # I, O, S, V and Z never occur in a credit code.
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100O43")
    assert error.value.code == "charset"


def test_model_validation_uses_the_validator(world):
    unit = ResponsibleUnit(name="某公司", region=world.hongqi, credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "credit_code" in error.value.message_dict


def test_credit_code_is_unique_when_present(world):
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        UnitFactory(region=world.hongqi, credit_code=world.hq_unit.credit_code)


def test_units_without_credit_code_may_coexist(world):
    from accounts.choices import UnitKind

    UnitFactory(region=world.hongqi, kind=UnitKind.VILLAGE_COMMITTEE, credit_code="")
    UnitFactory(region=world.hongqi, kind=UnitKind.VILLAGE_COMMITTEE, credit_code="")
    assert ResponsibleUnit.objects.filter(credit_code="").count() == 2


def test_lower_case_code_is_normalised_before_validation(world):
    unit = ResponsibleUnit(name="某公司", region=world.hongqi, credit_code="91350100m000100y43")
    unit.full_clean()
    assert unit.credit_code == "91350100M000100Y43"


def test_duplicate_code_is_reported_in_chinese(world):
    unit = ResponsibleUnit(name="另一家公司", region=world.hongqi, credit_code=world.hq_unit.credit_code)
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "已登记" in str(error.value)
