"""Task names are part of the contract with beat entries and with messages already queued in Redis: a
module moved or a function renamed must not change them."""

from config.celery import app

# The names queued messages and beat entries carry today; changing one orphans them.
STABLE_NAMES = {
    "reminders.tasks.sweep",
    "reminders.tasks.deliver_immediate",
    "reminders.tasks.send_digests",
    "reminders.tasks.deliver_due",
    "reminders.tasks.plan_events",
    "hazards.tasks.import_ledger",
    "accounts.tasks.import_units",
    "inspections.tasks.take_campaign_snapshots",
    "hazards.tasks.remove_stray_files",
    "core.tasks.tidy_jobs",
    "reports.tasks.refresh_rollup",
    "reports.tasks.rebuild_rollup",
    "reports.tasks.export",
    "reports.tasks.expire_exports",
}


def project_task_names() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_beat_entry_names_a_registered_task() -> None:
    registered = project_task_names()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= registered, scheduled - registered


def test_task_names_stay_as_queued_messages_know_them() -> None:
    assert project_task_names() == STABLE_NAMES
