"""The package a user installs: the wheel (built from the checkout, and from the sdist as
pip does for an sdist) carries the built web client, and its `stocklab up` serves it with
no checkout in sight."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]


def build(kind: str, source: Path, out: Path) -> Path:
    """setuptools' PEP 517 hook, as pip calls it (no download: setuptools is installed)."""
    out.mkdir(parents=True, exist_ok=True)
    code = f"from setuptools import build_meta as b; print(b.build_{kind}({str(out)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out / done.stdout.strip().splitlines()[-1]


def install(wheel: Path, target: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def serve_and_fetch(target: Path, home: Path) -> None:
    home.parent.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env.update(
        PYTHONPATH=str(target),  # the installed package, ahead of the checkout's
        STOCKLAB_HOME=str(home),
        STOCKLAB_SIM_CODES="20",
        STOCKLAB_SIM_START="2024-06-03",
        STOCKLAB_SIM_NOW="2024-11-15T10:30:00+09:00",
    )
    where = subprocess.run(
        [sys.executable, "-c", "import stocklab.api.app as a; print(a.WEB_DIST)"],
        env=env, cwd=home.parent, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(target), where.stdout + where.stderr
    port = _free_port()
    log = home.parent / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stocklab", "up", "--port", str(port), "--no-bootstrap"],
            env=env, cwd=home.parent, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                page = httpx.get(f"{base}/", timeout=5)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "stocklab up did not answer in 90 s"
                time.sleep(0.2)
        assert page.status_code == 200
        assert 'id="root"' in page.text
        script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
        assert script is not None, page.text
        asset = httpx.get(base + script.group(1), timeout=10)
        assert asset.status_code == 200
        assert "javascript" in asset.headers["content-type"]
        assert len(asset.content) > 10_000
        deep = httpx.get(f"{base}/codes/005930", timeout=10)  # a client-side route
        assert deep.status_code == 200
        assert 'id="root"' in deep.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_and_the_sdist_serve_the_web_client(tmp_path: Path) -> None:
    assert (ROOT / "web" / "dist" / "index.html").is_file(), "scripts/test builds web/dist first"
    wheel = build("wheel", ROOT, tmp_path / "wheel")
    names = zipfile.ZipFile(wheel).namelist()
    assert "stocklab/webclient/index.html" in names
    assert any(n.startswith("stocklab/webclient/assets/") and n.endswith(".js") for n in names)
    assert not any("node_modules" in n for n in names)
    install(wheel, tmp_path / "site")
    serve_and_fetch(tmp_path / "site", tmp_path / "run" / "home")

    sdist = build("sdist", ROOT, tmp_path / "sdist")
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
        assert any(m.endswith("web/dist/index.html") for m in members)
        assert not any("node_modules" in m for m in members)
        tar.extractall(tmp_path / "unpacked", filter="data")
    unpacked = next((tmp_path / "unpacked").iterdir())
    from_sdist = build("wheel", unpacked, tmp_path / "wheel-from-sdist")
    assert "stocklab/webclient/index.html" in zipfile.ZipFile(from_sdist).namelist()
    install(from_sdist, tmp_path / "site2")
    serve_and_fetch(tmp_path / "site2", tmp_path / "run2" / "home")
