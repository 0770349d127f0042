"""Installing and building the web client for the tests: `npm ci` from the lock file when
node_modules is missing or older than it, `npm run build` when web/dist is missing or
older than any of its sources. Nothing is rebuilt when nothing changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
BUILD_INPUTS = (
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
)


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        pytest.fail("npm is not on the PATH: the web client needs Node 20.19+ and npm")
    return found


def run_npm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [npm(), *args], cwd=WEB, capture_output=True, text=True, timeout=timeout, check=False
    )


def _must(*args: str) -> None:
    done = run_npm(*args)
    if done.returncode != 0:
        pytest.fail(
            f"npm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )


def _newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


def ensure_installed() -> None:
    installed = WEB / "node_modules" / ".package-lock.json"
    lock = WEB / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _must("ci", "--no-audit", "--no-fund")


def ensure_built() -> None:
    ensure_installed()
    index = WEB / "dist" / "index.html"
    newest = max(_newest_mtime(WEB / name) for name in BUILD_INPUTS if (WEB / name).exists())
    if not index.exists() or index.stat().st_mtime < newest:
        _must("run", "build")
