"""The web client's component tests (Vitest in jsdom), run by the project's one test command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web.build import run_npm


def test_vitest_component_suite(web_installed: None, tmp_path: Path) -> None:
    report = tmp_path / "vitest.json"
    done = run_npm("test", "--", "--reporter=dot", "--reporter=json", f"--outputFile.json={report}")
    assert done.returncode == 0, f"npm test failed:\n{done.stdout}\n{done.stderr}"
    result = json.loads(report.read_text(encoding="utf-8"))
    print(f"vitest: {result['numPassedTests']} of {result['numTotalTests']} tests passed")
    assert result["numFailedTests"] == 0
    assert result["numPassedTests"] > 0, "the component suite ran no test"
