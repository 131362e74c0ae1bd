"""The apps depend on each other one way: core on none, accounts on core, the domain apps on both.

Every import in every module of every app (module level or inside a function, migrations aside) is read
with ``ast``; the graph of apps they form must have no cycle, and ``core`` and ``config`` must not reach
into a domain app for plumbing.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = sorted(config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == ROOT)
PACKAGES = {*PROJECT_APPS, "config"}


def imports_between_apps() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                else:
                    continue
                graph[package] |= {name.split(".")[0] for name in names} & (PACKAGES - {package})
    return graph


def test_core_depends_on_no_app_of_the_project():
    assert imports_between_apps()["core"] == set()


def test_config_and_accounts_do_not_import_a_domain_app():
    graph = imports_between_apps()
    assert graph["accounts"] <= {"core"}
    assert graph["config"] <= {"core", "accounts"} | {"config"}


def test_the_apps_import_each_other_without_a_cycle():
    graph = imports_between_apps()
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in visiting, "import cycle: " + " → ".join((*trail, node))
        if node in done:
            return
        visiting.add(node)
        for neighbour in sorted(graph[node]):
            visit(neighbour, (*trail, node))
        visiting.discard(node)
        done.add(node)

    for package in sorted(PACKAGES):
        visit(package, ())
