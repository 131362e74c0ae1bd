"""Build the browser assets from what ``npm ci`` installed (package-lock.json) into static/vendor/.

Run by ``make assets``; the pages load only these local files, never a CDN.

* Bootstrap's CSS is compiled from its Sass sources with only the components the pages use
  (scripts/bootstrap.scss), then PurgeCSS drops the rules no template, script or widget names
  (scripts/purgecss.config.cjs): about 50 KB instead of 232 KB. Bootstrap's JavaScript is not used.
* htmx and ECharts (the dashboard's charts, static/js/dashboard.js) are copied as published.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
BIN = NODE_MODULES / ".bin"
VENDOR = ROOT / "static" / "vendor"

COPIES = {
    "bootstrap/LICENSE": "bootstrap/LICENSE",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "htmx.org/LICENSE": "htmx/LICENSE",
    # The full build: the dashboard's heat map is not in the "common" one.
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    "echarts/LICENSE": "echarts/LICENSE",
}
BOOTSTRAP_CSS = VENDOR / "bootstrap" / "bootstrap.min.css"
# Bootstrap 5.3's Sass still uses @import and global functions; Dart Sass warns on every one of them.
SASS_QUIET = ["--quiet-deps", "--silence-deprecation=import,global-builtin,color-functions"]


def compile_bootstrap() -> Path:
    """Bootstrap's Sass compiled once per version of the sources (Sass takes seconds, PurgeCSS one)."""
    scss, version = ROOT / "scripts" / "bootstrap.scss", NODE_MODULES / "bootstrap" / "package.json"
    sources = scss.read_bytes() + version.read_bytes()
    compiled = NODE_MODULES / ".cache" / f"bootstrap-{hashlib.sha256(sources).hexdigest()[:16]}.css"
    if compiled.exists():
        return compiled
    compiled.parent.mkdir(parents=True, exist_ok=True)
    partial = compiled.with_suffix(".partial")
    subprocess.run(
        [
            str(BIN / "sass"),
            "--style=compressed",
            "--no-source-map",
            f"--load-path={NODE_MODULES}",
            *SASS_QUIET,
            str(ROOT / "scripts" / "bootstrap.scss"),
            str(partial),
        ],
        check=True,
        cwd=ROOT,
    )
    partial.rename(compiled)
    return compiled


def build_bootstrap(work: Path) -> None:
    compiled = work / "bootstrap.min.css"
    shutil.copyfile(compile_bootstrap(), compiled)
    subprocess.run(
        [
            str(BIN / "purgecss"),
            "--config",
            str(ROOT / "scripts" / "purgecss.config.cjs"),
            "--css",
            str(compiled),
            "--output",
            str(BOOTSTRAP_CSS.parent),
        ],
        check=True,
        cwd=ROOT,
    )


def main() -> int:
    needed = [*COPIES, ".bin/sass", ".bin/purgecss"]
    missing = [source for source in needed if not (NODE_MODULES / source).exists()]
    if missing:
        sys.stderr.write(f"missing in node_modules (run npm ci first): {', '.join(missing)}\n")
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for source, target in COPIES.items():
        destination = VENDOR / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / source, destination)
    with tempfile.TemporaryDirectory() as work:
        build_bootstrap(Path(work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
