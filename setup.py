"""Puts the built web client inside the package, so an installed wheel serves it.

Everything else about the package is in pyproject.toml; this file only adds a step to
setuptools' `build_py`: copy `web/dist` (building it with npm when it is missing or older
than its sources) to `stocklab/webclient/`. Editable installs (a checkout) skip it: there
the server reads `web/dist` directly.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
DIST = WEB / "dist"
SOURCES = ("src", "public", "index.html", "package.json", "vite.config.ts", "tsconfig.json")


def _stale() -> bool:
    index = DIST / "index.html"
    if not index.is_file():
        return True
    if not (WEB / "package.json").is_file():  # an sdist: it carries the built client only
        return False
    built = index.stat().st_mtime
    for name in SOURCES:
        path = WEB / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def _build_web() -> None:
    npm = shutil.which("npm")
    if npm is None or not (WEB / "package.json").is_file():
        raise SystemExit(
            "stocklab: the web client is not built (web/dist) and npm is not here to build "
            "it — install Node.js 20.19+ or run `cd web && npm ci && npm run build` first"
        )
    if not (WEB / "node_modules" / ".package-lock.json").is_file():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build"], cwd=WEB, check=True)


class BuildWithWebClient(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        if _stale():
            _build_web()
        target = Path(self.build_lib) / "stocklab" / "webclient"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(DIST, target)


setup(cmdclass={"build_py": BuildWithWebClient})
