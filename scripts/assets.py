"""Copy the browser assets that ``npm ci`` installed (package-lock.json) into static/vendor/.

Run by ``make assets``; the pages load only these local copies, never a CDN. The source maps travel
with the files that name them, because the manifest storage of collectstatic follows sourceMappingURL.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

FILES = {
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap/bootstrap.min.css.map",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap/bootstrap.bundle.min.js.map",
    "bootstrap/LICENSE": "bootstrap/LICENSE",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "htmx.org/LICENSE": "htmx/LICENSE",
}


def main() -> int:
    missing = [source for source in FILES if not (NODE_MODULES / source).is_file()]
    if missing:
        sys.stderr.write(f"missing in node_modules (run npm ci first): {', '.join(missing)}\n")
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for source, target in FILES.items():
        destination = VENDOR / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / source, destination)
    return 0


if __name__ == "__main__":
    sys.exit(main())
