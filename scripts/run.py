"""Prepare and start the whole local system: what `make run` does after installing the requirements.

Migrates, seeds the demo city once (``seed_demo --if-empty``), prints the address and the demo logins,
then hands over to honcho, which runs web, worker and beat from ``Procfile.dev`` and stops all three
on Ctrl-C. With nothing set it uses SQLite and the filesystem broker under ``var/``; with
``DATABASE_URL`` and ``REDIS_URL`` in the environment, PostgreSQL and Redis (config/settings.py).

``.env`` is not read here: it configures ``docker compose``, whose host names (postgres, redis) mean
nothing outside the compose network.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
PROCFILE = "Procfile.dev"

# The demo accounts made by `manage.py seed_demo`, in the order a newcomer would try them.
DEMO_PASSWORD = "demo12345"
DEMO_USERS = [
    "admin",
    "city",
    "hq_officer",
    "hq_supervisor",
    "wb_officer",
    "wb_supervisor",
    "unit_demo",
    "api_client",
]


def prepare_var_dirs(settings) -> None:
    """The worker polls the broker folders from its first second: they must exist before it starts."""
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    if settings.CELERY_BROKER_URL == "filesystem://":
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def demo_users() -> list:
    """The demo accounts that exist in this database, in the order above."""
    from accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS).select_related("region", "unit")}
    return [users[name] for name in DEMO_USERS if name in users]


def api_docs_path() -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("api:docs")
    except NoReverseMatch:
        return None


def width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(columns - width(text), 0)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    cols = [max(width(row[i]) for row in rows) + 2 for i in range(len(rows[0]))]
    return ["    " + "".join(pad(cell, cols[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def banner(*, url: str, database: str, broker: str, users: list, api_docs: str | None) -> str:
    lines = [
        "",
        "隐患清单 本地环境正在启动（web + worker + beat）",
        f"  地址：{url}    （工作台、隐患、检查；管理后台 {url}admin/）",
    ]
    if api_docs:
        lines.append(f"  API 文档：{url.rstrip('/')}{api_docs}")
    lines += [f"  数据库：{database}    消息队列：{broker}", ""]
    if users:
        lines.append(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
        rows = [("用户名", "角色", "范围", "管理后台")]
        for user in users:
            scope = user.unit or user.region or ("全部" if user.is_superuser else "—")
            staff = "可登录" if user.is_staff else ""
            rows.append((user.username, str(user.get_role_display()), str(scope), staff))
        lines += table(rows)
    else:
        lines.append("  数据库里没有演示账号：库里已有数据，seed_demo --if-empty 没有写入。")
    lines += ["", "  按 Ctrl-C 停止全部进程。", ""]
    return "\n".join(lines)


def shown_path(path: str | Path) -> str:
    path = Path(path)
    return str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)


def describe_database(settings) -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {shown_path(db['NAME'])}"
    return f"PostgreSQL {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def describe_broker(settings) -> str:
    if settings.CELERY_BROKER_URL == "filesystem://":
        return f"文件队列 {shown_path(settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])}"
    url = urlsplit(settings.CELERY_BROKER_URL)
    return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()  # without the password


def main() -> None:
    os.chdir(BASE_DIR)
    sys.path.insert(0, str(BASE_DIR))
    # make run is the local development stack: DEBUG on, so no SECRET_KEY or collectstatic is needed.
    os.environ["DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    if not port.isdigit():
        sys.exit(f"PORT={port!r} is not a port number")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    prepare_var_dirs(settings)
    call_command("migrate", interactive=False, verbosity=1)
    call_command("seed_demo", "--if-empty")

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    print(  # noqa: T201
        banner(
            url=f"http://{shown_host}:{port}/",
            database=describe_database(settings),
            broker=describe_broker(settings),
            users=demo_users(),
            api_docs=api_docs_path(),
        ),
        flush=True,
    )

    connections.close_all()
    start_processes(host=host, port=port)


def start_processes(*, host: str, port: str) -> None:
    import honcho.manager
    from honcho.command import main as honcho_main

    bindir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["HOST"] = host
    # A warm Celery shutdown on the filesystem broker takes 5-7 s (it polls the folder once a second);
    # honcho's default of 5 s would kill the worker in the middle of it.
    honcho.manager.KILL_WAIT = 15
    # honcho gives the first Procfile entry (web) the base port; `-e /dev/null`: see the docstring.
    honcho_main(["start", "-f", PROCFILE, "-e", os.devnull, "-p", port])


if __name__ == "__main__":
    main()
