"""Background jobs: claimed once, progress that never moves a finished job, a Chinese error for the user and
the traceback for the log; followed through the API and a self-polling fragment, downloaded only by
the job's owner."""

from __future__ import annotations

import csv
import datetime
import io
import logging
import pathlib
import re

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import jobs
from core.choices import JobState
from core.models import Job
from hazards.models import Hazard
from tests.conftest import World
from tests.test_concurrency import race

CSV = "编号,标题\r\nYH-410702-2026-000001,配电箱未接地\r\n".encode()


@pytest.fixture
def job(world: World) -> Job:
    return jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={"county": world.hongqi.code})


def running(job: Job, *, done: int = 0, total: int | None = None) -> Job:
    jobs.job_start(job_id=job.pk, total=total)
    jobs.job_advance(job_id=job.pk, done=done)
    job.refresh_from_db()
    return job


def succeeded(job: Job) -> Job:
    running(job, total=1)
    jobs.job_finish(job_id=job.pk, result=ContentFile(CSV), name="隐患台账.csv")
    job.refresh_from_db()
    return job


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the service ---------------------------------------------------------------------------------


def test_a_new_job_is_queued_with_nothing_done_and_no_total(job):
    assert (job.state, job.done, job.total, job.percent) == (JobState.QUEUED, 0, None, None)
    assert job.scope == {"county": "410702"}
    assert job.started_at is None and job.finished_at is None


def test_of_two_starts_only_the_first_claims_the_job(job):
    first = jobs.job_start(job_id=job.pk, total=40)
    second = jobs.job_start(job_id=job.pk, total=99)
    assert first is not None and first.state == JobState.RUNNING and first.started_at is not None
    assert second is None
    job.refresh_from_db()
    assert job.total == 40


def test_a_running_job_whose_worker_stopped_reporting_may_be_claimed_again(job):
    running(job, done=3, total=10)
    assert jobs.job_start(job_id=job.pk) is None  # its worker is alive: the lease holds
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - jobs.LEASE - datetime.timedelta(seconds=1))
    again = jobs.job_start(job_id=job.pk, total=10)
    assert again is not None and (again.state, again.done) == (JobState.RUNNING, 0)
    assert jobs.job_start(job_id=job.pk) is None  # and the new worker holds it now


def test_progress_renews_the_lease(job):
    running(job, total=10)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - jobs.LEASE - datetime.timedelta(seconds=1))
    assert jobs.job_advance(job_id=job.pk, done=5)
    assert jobs.job_start(job_id=job.pk) is None


def test_tidying_fails_abandoned_jobs_and_deletes_expired_ones_with_their_files(world, job, media_root):
    now = timezone.now()
    long_ago = now - jobs.ABANDONED - datetime.timedelta(minutes=1)
    never_claimed = jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={})
    Job.objects.filter(pk=never_claimed.pk).update(created_at=long_ago)
    running(job, total=10)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    alive = running(jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={}), total=10)
    old = succeeded(jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={}))
    Job.objects.filter(pk=old.pk).update(finished_at=now - jobs.KEEP_FOR - datetime.timedelta(minutes=1))
    recent = succeeded(jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={}))

    assert jobs.jobs_tidy(now=now) == (2, 1)

    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {
        never_claimed.pk: JobState.FAILED,
        job.pk: JobState.FAILED,
        alive.pk: JobState.RUNNING,
        recent.pk: JobState.SUCCEEDED,
    }
    assert Job.objects.get(pk=job.pk).error == "任务已中断（处理进程停止），请重新发起。"
    assert [path.name for path in stored_files(media_root)] == [pathlib.Path(recent.result.name).name]
    assert jobs.jobs_tidy(now=now) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_workers_starting_at_once_run_the_job_once(world):
    job = jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={})
    results = race([lambda: jobs.job_start(job_id=job.pk), lambda: jobs.job_start(job_id=job.pk)])
    assert sum(isinstance(result, Job) for result in results) == 1
    assert results.count(None) == 1


def test_advance_records_progress_and_a_total_learnt_late(job):
    running(job)
    assert jobs.job_advance(job_id=job.pk, done=30, total=120)
    job.refresh_from_db()
    assert (job.done, job.total, job.percent) == (30, 120, 25)


def test_advance_before_the_start_or_after_the_finish_changes_nothing(job):
    assert not jobs.job_advance(job_id=job.pk, done=5, total=10)
    job.refresh_from_db()
    assert (job.done, job.total) == (0, None)
    succeeded(job)
    assert not jobs.job_advance(job_id=job.pk, done=0, total=500)
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (JobState.SUCCEEDED, 1, 1)


def test_finish_stores_the_result_under_its_name_and_counts_everything_done(job):
    running(job, done=7, total=10)
    assert jobs.job_finish(job_id=job.pk, result=ContentFile(CSV), name="隐患台账.csv")
    job.refresh_from_db()
    assert (job.state, job.done, job.percent) == (JobState.SUCCEEDED, 10, 100)
    assert job.finished_at is not None
    assert job.result.name.startswith("jobs/") and job.result_name == "隐患台账.csv"
    assert job.result.read() == CSV


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def test_a_job_that_is_not_running_cannot_finish_and_keeps_no_file(job, media_root):
    assert not jobs.job_finish(job_id=job.pk, result=ContentFile(CSV), name="a.csv")
    running(job)
    jobs.job_fail(job_id=job.pk, message="导出失败。")
    assert not jobs.job_finish(job_id=job.pk, result=ContentFile(CSV), name="a.csv")
    job.refresh_from_db()
    assert (job.state, job.result.name) == (JobState.FAILED, "")
    assert stored_files(media_root) == []


def test_a_job_failed_while_its_file_was_stored_stays_failed_and_the_file_goes(job, media_root, monkeypatch):
    running(job)
    storage = Job._meta.get_field("result").storage
    save = storage.save

    def save_while_someone_fails_the_job(name, content, max_length=None):
        jobs.job_fail(job_id=job.pk, message="已超时。")
        return save(name, content, max_length=max_length)

    monkeypatch.setattr(storage, "save", save_while_someone_fails_the_job)
    assert not jobs.job_finish(job_id=job.pk, result=ContentFile(CSV), name="a.csv")
    job.refresh_from_db()
    assert (job.state, job.error, job.result.name) == (JobState.FAILED, "已超时。", "")
    assert stored_files(media_root) == []


def test_fail_stores_the_chinese_message_and_logs_the_traceback(job, caplog):
    running(job, done=3, total=10)
    try:
        raise KeyError("sheet 'Sheet1' has no column 'deadline'")
    except KeyError:
        assert jobs.job_fail(job_id=job.pk, message="第 4 行缺少“整改期限”，请补全后重新导入。")
    job.refresh_from_db()
    assert (job.state, job.done) == (JobState.FAILED, 3)
    assert job.error == "第 4 行缺少“整改期限”，请补全后重新导入。"
    assert job.finished_at is not None
    record = next(r for r in caplog.records if r.name == "core.jobs")
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "Sheet1" not in job.error


def test_a_queued_job_may_fail_but_a_finished_one_stays_as_it_ended(job, world):
    assert jobs.job_fail(job_id=job.pk, message="")
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "请稍后重试" in job.error
    done = succeeded(jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={}))
    assert not jobs.job_fail(job_id=done.pk, message="太晚了")
    done.refresh_from_db()
    assert (done.state, done.error) == (JobState.SUCCEEDED, "")


def write_ledger(job_id: int) -> None:
    """What an export task does with its job: claim it, count, write in batches reporting progress,
    store the file; a failure tells the owner in Chinese."""
    job = jobs.job_start(job_id=job_id)
    if job is None:
        return
    try:
        hazards = Hazard.objects.visible_to(job.owner).order_by("id")
        total = hazards.count()
        jobs.job_advance(job_id=job_id, done=0, total=total)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["编号", "标题"])
        for done, hazard in enumerate(hazards.iterator(chunk_size=2), start=1):
            writer.writerow([hazard.number, hazard.title])
            if done % 2 == 0:
                jobs.job_advance(job_id=job_id, done=done)
        jobs.job_finish(job_id=job_id, result=ContentFile(out.getvalue().encode("utf-8-sig")), name="隐患台账.csv")
    except Exception:
        jobs.job_fail(job_id=job_id, message="导出失败，请稍后重试。")


def test_a_real_export_runs_through_start_advance_and_finish(world, as_user):
    hazards = [world.listed(title=f"隐患{n}") for n in range(5)]
    job = jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={})
    write_ledger(job.pk)
    write_ledger(job.pk)  # a repeated message finds the job finished and does nothing
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (JobState.SUCCEEDED, 5, 5)
    response = as_user(world.hq_officer).get(reverse("core:job_result", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["编号", "标题"]
    assert [row[0] for row in rows[1:]] == [hazard.number for hazard in hazards]


def test_an_export_that_breaks_shows_the_owner_a_chinese_message(world, monkeypatch):
    job = jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={})
    monkeypatch.setattr(Hazard.objects, "visible_to", lambda user: 1 / 0)
    write_ledger(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "导出失败，请稍后重试。")


# --- who sees a job --------------------------------------------------------------------------------


def test_a_job_is_visible_to_its_owner_alone(world, job):
    theirs = jobs.job_create(kind="reports.export", owner=world.admin, scope={})
    assert list(Job.objects.visible_to(world.hq_officer)) == [job]
    assert list(Job.objects.visible_to(world.admin)) == [theirs]
    for other in (world.hq_supervisor, world.wb_officer, world.city_office, AnonymousUser()):
        assert not Job.objects.visible_to(other).exists()


def test_an_inactive_owner_sees_no_job(world, job):
    world.hq_officer.is_active = False
    world.hq_officer.save()
    assert not Job.objects.visible_to(world.hq_officer).exists()


# --- the API ---------------------------------------------------------------------------------------


def test_the_owner_reads_the_job_and_its_progress(world, job):
    running(job, done=3, total=12)
    response = api_as(world.hq_officer).get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "kind",
        "state",
        "state_display",
        "done",
        "total",
        "percent",
        "error",
        "result_url",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert (body["state"], body["state_display"], body["done"], body["total"], body["percent"]) == (
        "running",
        "进行中",
        3,
        12,
        25,
    )
    assert body["result_url"] is None and body["finished_at"] is None


def test_the_percent_is_null_while_the_total_is_unknown(world, job):
    running(job, done=3)
    assert api_as(world.hq_officer).get(f"/api/v1/jobs/{job.pk}/").json()["percent"] is None


def test_the_owner_downloads_the_result_through_the_api(world, job):
    succeeded(job)
    client = api_as(world.hq_officer)
    url = client.get(f"/api/v1/jobs/{job.pk}/").json()["result_url"]
    assert url == f"http://testserver/api/v1/jobs/{job.pk}/result/"
    response = client.get(url, HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize("persona", ["hq_supervisor", "wb_officer", "city_office"])
def test_anyone_but_the_owner_gets_404_from_the_api(world, job, persona):
    succeeded(job)
    client = api_as(getattr(world, persona))
    for url in (f"/api/v1/jobs/{job.pk}/", f"/api/v1/jobs/{job.pk}/result/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_an_anonymous_client_gets_401(world, job):
    assert APIClient().get(f"/api/v1/jobs/{job.pk}/").status_code == 401


def test_there_is_no_list_of_jobs_and_no_result_before_the_finish(world, job):
    client = api_as(world.hq_officer)
    assert client.get("/api/v1/jobs/").status_code == 404
    running(job)
    assert client.get(f"/api/v1/jobs/{job.pk}/result/").status_code == 404


# --- the page fragment -------------------------------------------------------------------------------


def progress(client, job: Job) -> str:
    response = client.get(reverse("core:job_progress", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_fragment_polls_itself_while_the_job_is_queued_or_running(world, job, as_user):
    client = as_user(world.hq_officer)
    html = progress(client, job)
    assert 'hx-trigger="every 2s"' in html and "排队中" in html
    html = progress(client, running(job, done=3, total=12))
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{reverse("core:job_progress", args=[job.pk])}"' in html and 'hx-swap="outerHTML"' in html
    assert "进行中" in html and "已完成 3 / 12" in html and 'aria-valuenow="25"' in html
    assert "下载结果" not in html


def test_the_fragment_stops_polling_and_offers_the_download_when_done(world, job, as_user):
    html = progress(as_user(world.hq_officer), succeeded(job))
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "已完成" in html and "已完成 1 / 1" in html
    assert f'href="{reverse("core:job_result", args=[job.pk])}"' in html and "下载结果" in html
    assert "/media/" not in html


def test_the_fragment_of_a_failed_job_shows_the_error_and_stops_polling(world, job, as_user):
    running(job, done=3, total=12)
    jobs.job_fail(job_id=job.pk, message="第 4 行缺少“整改期限”。")
    html = progress(as_user(world.hq_officer), job)
    assert "hx-trigger" not in html
    assert "失败" in html and "第 4 行缺少“整改期限”。" in html and "下载结果" not in html


def test_the_owner_downloads_the_result_from_the_page(world, job, as_user):
    succeeded(job)
    response = as_user(world.hq_officer).get(reverse("core:job_result", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV
    assert "filename*=utf-8''%E9%9A%90%E6%82%A3%E5%8F%B0%E8%B4%A6.csv" in response["Content-Disposition"]


@pytest.mark.parametrize("persona", ["hq_supervisor", "wb_officer", "unit_demo"])
def test_anyone_but_the_owner_gets_404_for_the_fragment_and_the_download(world, job, as_user, persona):
    succeeded(job)
    client = as_user(getattr(world, persona))
    for name in ("core:job_progress", "core:job_result"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_the_progress_bar_styles_are_in_the_built_bootstrap():
    """scripts/assets.py keeps only the Bootstrap rules some template names (and the component must be
    compiled in, scripts/bootstrap.scss)."""
    css = open(finders.find("vendor/bootstrap/bootstrap.min.css"), encoding="utf-8").read()  # noqa: SIM115
    for name in ("progress", "progress-bar", "progress-bar-striped", "progress-bar-animated"):
        assert re.search(rf"\.{name}\s*[{{,]", css), name


# --- the admin -------------------------------------------------------------------------------------


def test_a_superuser_sees_every_job_in_the_admin_and_downloads_its_result(world, job, client):
    succeeded(job)
    client.force_login(world.admin)
    page = client.get(reverse("admin:core_job_changelist")).content.decode()
    assert "后台任务" in page and "reports.export" in page and "已完成" in page and "1 / 1" in page
    detail = client.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    download = reverse("admin:core_job_result", args=[job.pk])
    assert download in detail and "/media/" not in detail
    assert b"".join(client.get(download).streaming_content) == CSV
    assert client.post(reverse("admin:core_job_change", args=[job.pk]), {"kind": "x"}).status_code == 403


def test_other_staff_see_only_their_own_jobs_in_the_admin(world, job, client):
    succeeded(job)
    officer = world.wb_officer
    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(Permission.objects.get(codename="view_job", content_type__app_label="core"))
    own = jobs.job_create(kind="reports.export", owner=officer, scope={})
    client.force_login(officer)
    listed = client.get(reverse("admin:core_job_changelist")).context["cl"].result_list
    assert [row.pk for row in listed] == [own.pk]
    assert client.get(reverse("admin:core_job_change", args=[job.pk])).status_code == 302
    assert client.get(reverse("admin:core_job_result", args=[job.pk])).status_code == 404
