"""Weak tokens are refused at start with the reason and the command to make a good one;
random ones pass; a token file others can read is made 0600 and the log says so; a
token that is not UTF-8 stops `stocklab up` with one line (exit 2)."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklab.api import create_app
from stocklab.api.auth import check_token, ensure_token, token_path
from stocklab.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
WEAK = [
    "aaaaaaaaaaaaaaaa",
    "0000000000000000",
    "passwordpassword",
    "PasswordPassword",
    "abcabcabcabcabca",
    "abababababababababababab",
    "1234567890123456",
    "password12345678",
    "Password1234567!",
    "qwertyuiopasdfgh",
    "abababab12345678",
    "0123456789abcdef",
    "aabbaabbaabbabab",
    "changeme-changeme",
]


@pytest.mark.parametrize("weak", WEAK)
def test_low_entropy_tokens_are_refused_with_the_way_to_make_a_good_one(weak: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_token(weak)
    message = str(refused.value)
    assert "\n" not in message
    assert MAKE_ONE in message
    assert weak not in message


@pytest.mark.parametrize("weak", WEAK[:3])
def test_the_server_does_not_start_with_a_weak_token(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ConfigError, match="토큰"):
        create_app(load_settings(home=tmp_path / "home", api_token=weak))


ALPHABETS = [
    string.hexdigits.lower()[:16],
    string.ascii_letters + string.digits,
    string.ascii_letters + string.digits + "-_",
    string.ascii_lowercase + string.digits,
    string.ascii_letters + string.digits + string.punctuation,
]


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**64),
    length=st.integers(min_value=16, max_value=64),
    alphabet=st.sampled_from(ALPHABETS),
)
def test_random_tokens_of_16_and_more_characters_pass(
    seed: int, length: int, alphabet: str
) -> None:
    # Random draws from a hash of the seed, not hypothesis' own text (or random.Random,
    # which it steers): it seeks out "0000…" on purpose, and that one must fail.
    stream = hashlib.shake_256(seed.to_bytes(9, "big")).digest(length)
    token = "".join(alphabet[b % len(alphabet)] for b in stream)
    check_token(token)


def test_tokens_made_as_the_message_says_pass() -> None:
    for _ in range(2_000):
        check_token(secrets.token_urlsafe(32))
        check_token(secrets.token_hex(8))


def test_a_token_file_others_can_read_is_made_owner_only_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(home=tmp_path / "home")
    path = token_path(settings)
    settings.ensure_home()
    path.write_text(secrets.token_urlsafe(32) + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="stocklab.api"):
        app = create_app(settings, web_dist=None)
    assert path.stat().st_mode & 0o777 == 0o600
    assert app.state.token == path.read_text().strip()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1, warned
    assert str(path) in warned[0]
    assert "0644" in warned[0]
    assert "0600" in warned[0]
    assert app.state.token not in warned[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stocklab.api"):
        ensure_token(settings)  # owner-only now: nothing more to say
    assert not caplog.records


def test_a_weak_token_file_is_refused_and_named(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    settings.ensure_home()
    token_path(settings).write_text("aaaaaaaaaaaaaaaaaaaa\n")
    with pytest.raises(ConfigError, match="api-token"):
        ensure_token(settings)


def test_a_token_path_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    token_path(settings).mkdir(parents=True)
    with pytest.raises(ConfigError, match="일반 파일이 아닙니다") as refused:
        ensure_token(settings)
    assert "\n" not in str(refused.value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_token_that_is_not_utf8_stops_up_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"STOCKLAB_")}
    env[b"STOCKLAB_HOME"] = os.fsencode(tmp_path / "home")
    env[b"STOCKLAB_API_TOKEN"] = b"\xff\xfe" + b"k7Qz-9xWb_2LmP4vRt8s"
    env[b"STOCKLAB_SIM_NOW"] = b"2024-11-15T16:00:00+09:00"
    env[b"PYTHONPATH"] = os.fsencode(ROOT / "src")
    env[b"COLUMNS"] = b"200"
    done = subprocess.run(
        [sys.executable, "-m", "stocklab", "up", "--no-bootstrap", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )
    err = done.stderr.decode("utf-8", "replace").strip()
    assert done.returncode == 2, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert "UTF-8" in err
    assert "k7Qz-9xWb_2LmP4vRt8s" not in err


def test_a_token_that_is_not_utf8_stops_create_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKLAB_API_TOKEN", os.fsdecode(b"\xff" + b"k7Qz-9xWb_2LmP4vRt8s"))
    with pytest.raises(ConfigError, match="UTF-8"):
        create_app(load_settings(home=tmp_path / "home"), web_dist=None)
