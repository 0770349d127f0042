"""Settings come from env, .env and stocklab.toml; a bad value is one clear line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from stocklab.config import ConfigError, load_settings, redact_url

SRC = Path(__file__).resolve().parents[1] / "src"


def test_defaults_put_the_store_in_the_data_directory(tmp_path: Path) -> None:
    s = load_settings()
    assert s.home == tmp_path / "home"
    assert s.store_url == f"sqlite:///{tmp_path / 'home' / 'stocklab.db'}"
    assert s.commission_rate == Decimal("0.00015")


def test_home_defaults_to_dot_stocklab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STOCKLAB_HOME")
    assert load_settings().home == Path("~/.stocklab").expanduser()


def test_precedence_env_over_dotenv_over_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stocklab.toml").write_text('log_level = "WARNING"\nstore = "sqlite:///t.db"\n')
    assert load_settings().store_url == "sqlite:///t.db"
    assert load_settings().log_level == "WARNING"
    (tmp_path / ".env").write_text("STOCKLAB_STORE=mongodb://db.local:27017/stocklab\n")
    assert load_settings().store_url == "mongodb://db.local:27017/stocklab"
    monkeypatch.setenv("STOCKLAB_STORE", "sqlite:////var/lib/x.db")
    s = load_settings()
    assert (s.store_url, s.log_level) == ("sqlite:////var/lib/x.db", "WARNING")


def test_toml_named_by_env_and_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "stocklab.toml").write_text('log_level = "ERROR"\n')
    assert load_settings().log_level == "ERROR"
    other = tmp_path / "other.toml"
    other.write_text('log_level = "DEBUG"\n')
    monkeypatch.setenv("STOCKLAB_CONFIG", str(other))
    assert load_settings().log_level == "DEBUG"
    monkeypatch.setenv("STOCKLAB_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "value", "allowed"),
    [
        ("STOCKLAB_STORE", "postgres://x", "sqlite:///"),
        ("STOCKLAB_STORE", "sqlite:///", "sqlite:///"),
        ("STOCKLAB_LOG_LEVEL", "LOUD", "DEBUG, INFO"),
        ("STOCKLAB_COMMISSION_RATE", "0.5", "0.01 미만"),
        ("STOCKLAB_COMMISSION_RATE", "abc", "0.01 미만"),
    ],
)
def test_bad_values_name_the_setting_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert env in message
    assert allowed in message
    assert "\n" not in message


def test_a_half_written_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "stocklab.toml").write_text('store = "sqlite:///x\n')
    with pytest.raises(ConfigError, match=r"stocklab\.toml"):
        load_settings()


def test_passwords_never_shown() -> None:
    assert redact_url("mongodb://me:s3cret@h:27017/db") == "mongodb://***@h:27017/db"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args], env=full, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_cli_bad_setting_exits_2_with_one_line() -> None:
    result = run_cli("store", "info", STOCKLAB_STORE="mongodb://me:pw@/nohost")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "STOCKLAB_STORE" in lines[0]
    assert "pw" not in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_help_lists_every_subcommand() -> None:
    from typer.main import get_command

    from stocklab.cli import app

    result = run_cli("--help", COLUMNS="200")
    assert result.returncode == 0
    commands = get_command(app).commands  # type: ignore[attr-defined]
    assert len(commands) >= 10
    for name, command in commands.items():
        lines = [line for line in result.stdout.splitlines() if f" {name} " in line]
        assert lines, f"stocklab --help does not list {name}"
        assert command.help or command.short_help, f"{name} has no help line"
    config = run_cli("config", STOCKLAB_STORE="mongodb://me:pw@db.local/stocklab")
    assert config.returncode == 0
    assert "mongodb://***@db.local/stocklab" in config.stdout


def test_settings_travel_to_a_child_process_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKLAB_LS_APPKEY", "k" * 36)
    given = load_settings(
        sim_codes=40,
        sim_now="2024-11-15T16:00:00+09:00",
        jobs={"collect_daily": {"cron": "0 18 * * mon-fri"}},
        job_modules=["a.b"],
        api_auth_reads=True,
    )
    env = given.as_env()
    for key in list(os.environ):
        if key.startswith("STOCKLAB_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    again = load_settings()
    for field in ("home", "sim_codes", "sim_now", "jobs", "job_modules", "api_auth_reads"):
        assert getattr(again, field) == getattr(given, field), field
    assert again.store_url == given.store_url
    assert again.ls_appkey is not None
    assert again.ls_appkey.get_secret_value() == "k" * 36
