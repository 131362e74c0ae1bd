"""What a 重大事故隐患 records beyond a general one is declared once (``hazards.models.MAJOR_FIELDS``);
every surface that reads or writes it offers exactly those fields."""

from __future__ import annotations

import dataclasses

from hazards.api.serializers import HazardUpdateSerializer, MajorSerializer
from hazards.forms import HazardForm
from hazards.models import FIVE_IN_PLACE_FIELDS, MAJOR_FIELDS, Hazard
from hazards.services import MajorDetails


def test_the_five_in_place_are_five_fields_of_the_hazard():
    assert len(FIVE_IN_PLACE_FIELDS) == 5
    assert set(FIVE_IN_PLACE_FIELDS) < set(MAJOR_FIELDS)
    assert {field.name for field in Hazard._meta.get_fields()} >= set(MAJOR_FIELDS)


def test_the_service_the_api_and_the_form_take_the_same_major_fields(world):
    assert tuple(field.name for field in dataclasses.fields(MajorDetails)) == MAJOR_FIELDS
    assert tuple(MajorSerializer().fields) == MAJOR_FIELDS
    assert set(MAJOR_FIELDS) <= set(HazardUpdateSerializer().fields)
    assert set(MAJOR_FIELDS) <= set(HazardForm(user=world.hq_officer).fields)
