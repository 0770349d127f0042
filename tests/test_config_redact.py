"""Every credential in a store URL is hidden wherever the URL is shown: `stocklab config`,
a bad-setting line, a connection error, and the text helper they all use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stocklab.config import redact_url

SRC = Path(__file__).resolve().parents[1] / "src"
SECRETS = ("alice", "s3cr3t-pw", "hunter2-pw", "sess-tok", "ky-pass")
URI = (
    "mongodb://alice:s3cr3t-pw@db.example:27017/stocklab?tls=true"
    "&tlsCertificateKeyFilePassword=hunter2-pw"
    "&authMechanismProperties=AWS_SESSION_TOKEN:sess-tok&appName=lab"
)


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(SRC), "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args], env=full, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def assert_hidden(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} shows in: {text}"


def test_stocklab_config_hides_user_password_and_secret_parameters() -> None:
    shown = run_cli("config", STOCKLAB_STORE=URI)
    assert shown.returncode == 0, shown.stderr
    assert_hidden(shown.stdout + shown.stderr)
    assert "db.example:27017/stocklab" in shown.stdout
    assert "tls=true" in shown.stdout
    assert "appName=lab" in shown.stdout
    assert "tlsCertificateKeyFilePassword=***" in shown.stdout


def test_a_bad_store_setting_names_it_without_its_credentials() -> None:
    bad = "mongodb://alice:s3cr3t-pw@/stocklab?tlsCertificateKeyFilePassword=hunter2-pw"
    refused = run_cli("store", "info", STOCKLAB_STORE=bad)
    assert refused.returncode == 2, refused.stderr
    assert "STOCKLAB_STORE" in refused.stderr
    assert_hidden(refused.stdout + refused.stderr)


def test_a_store_that_cannot_be_reached_is_named_without_its_credentials() -> None:
    url = "mongodb://alice:s3cr3t-pw@127.0.0.1:1/stocklab?tlsCertificateKeyFilePassword=hunter2-pw"
    failed = run_cli("store", "info", STOCKLAB_STORE=url)
    assert failed.returncode == 1, failed.stderr
    assert "127.0.0.1:1" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert_hidden(failed.stdout + failed.stderr)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mongodb://alice:s3cr3t-pw@h:27017/db", "mongodb://***@h:27017/db"),
        ("mongodb://alice@h/db?authMechanism=MONGODB-X509", "mongodb://***@h/db?authMechanism=MONGODB-X509"),
        ("mongodb+srv://alice:s3cr3t-pw@c.example.net/x", "mongodb+srv://***@c.example.net/x"),
        # unescaped '@' and '/' in a password: still all hidden
        ("mongodb://alice:s3cr@t/pw@h1,h2:27018/db", "mongodb://***@h1,h2:27018/db"),
        (
            "mongodb://h/db?TLSCERTIFICATEKEYFILEPASSWORD=hunter2-pw;replicaSet=rs0",
            "mongodb://h/db?TLSCERTIFICATEKEYFILEPASSWORD=***;replicaSet=rs0",
        ),
        (
            "mongodb://h/db?tlsCertificateKeyFile=/k/ky-pass.pem&x_secret=hunter2-pw&w=1",
            "mongodb://h/db?tlsCertificateKeyFile=***&x_secret=***&w=1",
        ),
        ("mongodb://h/db?authMechanismProperties=AWS_SESSION_TOKEN:sess-tok", "mongodb://h/db?authMechanismProperties=***"),
        ("mongodb://alice:s3cr3t-pw@[broken/db", "mongodb://***@[broken/db"),
        ("mongodb://h:27017/db?retryWrites=true", "mongodb://h:27017/db?retryWrites=true"),
        ("sqlite:////data/a@b/stocklab.db", "sqlite:////data/a@b/stocklab.db"),
    ],
)  # fmt: skip
def test_redact_url_hides_every_credential(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert_hidden(redact_url(url))
