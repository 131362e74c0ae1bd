"""seed_demo's time on SQLite, this tree against an older commit, measured in the same run.

    .venv/bin/python -m bench.seed.run                      # this tree only
    .venv/bin/python -m bench.seed.run --against 510f601^   # and the demo as it was before the services wrote it

Each round migrates a fresh SQLite database in a temporary VAR_DIR, then times ``seed_demo`` alone inside
one Python process (wall and CPU time of that process: PostgreSQL is not involved, SQLite runs in-process).
Rounds alternate between the trees so a busy machine slows both alike; the medians are printed with the
ratio. ``--against`` checks the commit out into a temporary git worktree that shares this tree's .venv.

2026-12-02, the shared 2-core machine busy with other jobs (load ≈ 8), 3 rounds, against 510f601^ (the demo
writing rows itself): medians 7.33 s vs 6.04 s wall (1.21×, wall time is at the mercy of the load), 4.33 s vs
2.49 s CPU (1.74×). The difference is the services' checks and the 2,139 after-photos the demo now stores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run inside each tree: migrate, then time seed_demo alone.
PROBE = """
import json, os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
wall, cpu = time.perf_counter(), time.process_time()
call_command("seed_demo", stdout=open(os.devnull, "w"))
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))
"""


def measure(tree: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as var:
        env = {**os.environ, "VAR_DIR": var, "DEBUG": "1"}
        env.pop("DATABASE_URL", None)
        done = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-c", PROBE],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="a commit to compare with, e.g. 510f601^")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    with tempfile.TemporaryDirectory(prefix="bench-seed-tree-") as holder:
        if args.against:
            other = Path(holder) / "tree"
            subprocess.run(["git", "worktree", "add", "-q", "--detach", str(other), args.against], cwd=ROOT, check=True)
            (other / ".venv").symlink_to(ROOT / ".venv")
            trees[args.against] = other
        try:
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
            for round_ in range(args.rounds):
                for name, tree in trees.items():
                    runs[name].append(result := measure(tree))
                    print(
                        f"round {round_ + 1} {name}: {result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU", flush=True
                    )
        finally:
            if args.against:
                subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)
    medians = {name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu")} for name, rs in runs.items()}
    for name, m in medians.items():
        print(f"median {name}: {m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU")
    if args.against:
        mine, theirs = medians["this tree"], medians[args.against]
        wall, cpu = mine["wall"] / theirs["wall"], mine["cpu"] / theirs["cpu"]
        print(f"ratio this tree / {args.against}: {wall:.2f}× wall, {cpu:.2f}× CPU")


if __name__ == "__main__":
    sys.exit(main())
