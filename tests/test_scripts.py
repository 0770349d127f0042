"""The set-up scripts install what each command needs: `scripts/up` the runtime packages
only (no test or benchmark tools), `scripts/test` the dev extras; a venv the tests filled
serves `up` without another install. Python is a recording stand-in: nothing is fetched."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_PYTHON = f"""#!/usr/bin/env bash
# Answers version checks with the real interpreter; records every pip call.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> "$(dirname "$0")/../pip.log"; exit 0; fi
exec {sys.executable} "$@"
"""


def ensure(project: Path, extras: str) -> list[str]:
    subprocess.run(
        ["bash", "-c", f'source scripts/_python.sh && ensure_venv 12 "{extras}"'],
        cwd=project, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    log = project / ".venv" / "pip.log"
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def test_up_installs_runtime_packages_only_and_reuses_a_test_venv(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("pyproject.toml", "setup.py", "scripts/_python.sh"):
        shutil.copy(ROOT / name, project / name)
    python = project / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    up_line = next(
        line for line in (ROOT / "scripts" / "up").read_text().splitlines() if "ensure_venv" in line
    )
    up_extras = up_line.split()[2].strip('"')
    test_line = next(
        line
        for line in (ROOT / "scripts" / "test").read_text().splitlines()
        if line.startswith("ensure_venv")
    )
    test_extras = test_line.split()[2]

    first = ensure(project, up_extras)
    assert len(first) == 1, first
    assert first[0].split()[-2:] == ["-e", "."]
    assert ensure(project, up_extras) == []  # installed once
    assert ensure(project, test_extras)[0].split()[-2:] == ["-e", ".[dev]"]
    assert ensure(project, up_extras) == []  # the tests' venv has every runtime package
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + "\n")
    assert ensure(project, up_extras)[0].split()[-2:] == ["-e", "."]  # changed: again
