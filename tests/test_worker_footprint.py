"""What a Celery worker process holds before its first task (issue 11: a 100,000-row export within 150 MB
of the worker's memory). Started as ``celery worker`` starts, in a fresh interpreter: no view, no URLconf
and no pinyin dictionary is imported, and the system checks still run, all but the web's (URLconf, admin,
security, templates)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from django.core import checks

tags_checked = []
run_checks = checks.run_checks

def recording(*args, **kwargs):
    tags_checked.append(sorted(kwargs.get("tags") or ["(all)"]))
    return run_checks(*args, **kwargs)

checks.run_checks = recording
from config.celery import app

app.loader.import_default_modules()  # what the worker does at start (Celery's Django fixup, then ours)
ours = {"pypinyin", "config", "core", "hazards", "reports"}
print(json.dumps({
    "tasks": sorted(name for name in app.tasks if not name.startswith("celery.")),
    "checks": tags_checked,
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in ours),
}))
"""


def start_worker(**env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_imports_its_tasks_but_no_view_no_urlconf_and_no_pinyin() -> None:
    worker = start_worker()
    assert "reports.tasks.export" in worker["tasks"]
    modules = set(worker["modules"])
    assert "reports.tasks" in modules and "reports.exports" in modules
    assert "config.urls" not in modules
    assert not {name for name in modules if name.startswith(("hazards.views", "reports.views"))}, modules
    assert not {name for name in modules if name.startswith("pypinyin")}
    assert "core.middleware" not in modules


def test_a_worker_still_runs_the_system_checks_but_the_webs_own() -> None:
    worker = start_worker()
    assert len(worker["checks"]) == 1
    tags = set(worker["checks"][0])
    assert {"models", "database", "caches", "commands"} <= tags
    assert not {"urls", "admin", "security", "templates"} & tags


def test_celery_skip_checks_still_skips_them_all() -> None:
    # As an operator's shell sets it: without the marker this test process inherited from config.celery.
    assert start_worker(CELERY_SKIP_CHECKS="1", HAZARD_LEDGER_WEB_CHECKS_SKIPPED="")["checks"] == []
