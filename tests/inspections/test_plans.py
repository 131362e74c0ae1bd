"""Plans in the browser: an office plans a visit (a 四不两直 one stays hidden from the unit), its leader
starts it from the list."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from inspections.choices import Kind, Status
from inspections.models import Inspection


def test_a_supervisor_plans_a_secret_visit_and_its_leader_starts_it(as_user, world, checklist):
    supervisor = as_user(world.hq_supervisor)
    form = supervisor.get(reverse("inspections:plan")).content.decode()
    token = form.split('name="form_token" value="')[1].split('"')[0]
    response = supervisor.post(
        reverse("inspections:plan"),
        {
            "form_token": token,
            "kind": Kind.UNANNOUNCED,
            "unit": world.hq_unit.pk,
            "template": checklist.pk,
            "planned_on": timezone.localdate().isoformat(),
            "leader": world.hq_officer.pk,
            "team": "王五",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    visit = Inspection.objects.get()
    assert (visit.status, visit.secret, visit.leader) == (Status.PLANNED, True, world.hq_officer)
    unit_list = as_user(world.unit_demo).get(reverse("inspections:list")).content.decode()
    assert reverse("inspections:detail", args=[visit.pk]) not in unit_list and "暂无检查" in unit_list

    officer = as_user(world.hq_officer)
    listing = officer.get(reverse("inspections:list")).content.decode()
    assert f'data-testid="start-{visit.pk}"' in listing
    started = officer.post(reverse("inspections:start", args=[visit.pk]))
    assert started.status_code == 302 and started["Location"] == reverse("inspections:detail", args=[visit.pk])
    visit.refresh_from_db()
    assert visit.status == Status.IN_PROGRESS


def test_a_plan_in_the_past_is_refused_in_chinese(as_user, world, checklist):
    client = as_user(world.hq_supervisor)
    token = client.get(reverse("inspections:plan")).content.decode().split('name="form_token" value="')[1][:32]
    response = client.post(
        reverse("inspections:plan"),
        {
            "form_token": token,
            "kind": Kind.ROUTINE,
            "unit": world.hq_unit.pk,
            "template": checklist.pk,
            "planned_on": "2020-01-01",
        },
    )
    assert response.status_code == 400 and "计划日期不能早于今天" in response.content.decode()
    assert not Inspection.objects.exists()


def test_a_unit_contact_may_not_plan(as_user, world):
    assert as_user(world.unit_demo).get(reverse("inspections:plan")).status_code == 403
