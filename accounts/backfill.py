"""Giving units recorded before units had a 行业领域 the sector their records say they are in.

A unit's sector is the one most of its records carry: the hazards found at it or handed to it (voided
ones left out) and the inspections of it, each counted once. A tie goes to the sector listed first in the
code list (sort order, then code). A unit with no such record keeps no sector: the administrator sets it
(admin or the unit import), and until then coverage counts it in no row of the national tables.

Written against the models passed in, so the data migration (with its historical models) and the tests
(with today's) run the same code.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, F, Q


def unit_sectors_from_records(unit_model, hazard_model, inspection_model) -> int:
    """Set the sector of every unit without one that has records; the number of units given one."""
    votes: dict[int, Counter] = defaultdict(Counter)
    hazards = hazard_model.objects.exclude(status="void")
    sources = (
        hazards.filter(responsible_unit__sector__isnull=True).values_list("responsible_unit", "sector"),
        # A hazard found at one unit and handed to the same one is one record, counted above.
        hazards.filter(inspected_unit__sector__isnull=True)
        .filter(Q(responsible_unit__isnull=True) | ~Q(responsible_unit=F("inspected_unit")))
        .values_list("inspected_unit", "sector"),
        inspection_model.objects.filter(unit__sector__isnull=True).values_list("unit", "sector"),
    )
    for rows in sources:
        for unit_id, sector_id, n in rows.annotate(n=Count("pk")).order_by():
            votes[unit_id][sector_id] += n
    if not votes:
        return 0
    sector_model = unit_model._meta.get_field("sector").related_model
    order = {
        pk: i for i, pk in enumerate(sector_model.objects.order_by("sort_order", "code").values_list("pk", flat=True))
    }
    chosen: dict[int, list[int]] = defaultdict(list)
    for unit_id, counts in votes.items():
        sector_id = min(counts, key=lambda pk: (-counts[pk], order.get(pk, len(order))))
        chosen[sector_id].append(unit_id)
    updated = 0
    for sector_id, unit_ids in chosen.items():
        for start in range(0, len(unit_ids), 5000):
            batch = unit_ids[start : start + 5000]
            updated += unit_model.objects.filter(pk__in=batch, sector__isnull=True).update(sector_id=sector_id)
    return updated
