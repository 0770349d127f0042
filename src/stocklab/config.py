"""One Settings object, read from `STOCKLAB_*` env vars, `.env`, and `stocklab.toml`.

Precedence (highest first): explicit arguments, environment, `.env` in the working
directory, `stocklab.toml` (path in `STOCKLAB_CONFIG`, else `./stocklab.toml`, else
`<home>/stocklab.toml`), defaults. A bad value becomes one `ConfigError` line naming the
setting and what is allowed, which the CLI prints before exiting with code 2.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tomllib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from stocklab.errors import HomeUnusable

ENV_PREFIX = "STOCKLAB_"
DEFAULT_HOME = Path("~/.stocklab")


class ConfigError(Exception):
    """A setting has a value stocklab cannot use; the message is one line for the user."""


def _describe_store_url() -> str:
    return "sqlite:///<파일 경로> 또는 mongodb://<호스트>[:포트]/<DB> (mongodb+srv:// 포함)"


def parse_store_url(url: str) -> tuple[str, str]:
    """Split a store URL into (kind, target): ('sqlite', path) or ('mongodb', url)."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise ValueError("sqlite URL에 파일 경로가 없습니다")
        # sqlite:////abs/path and sqlite:///~/x are both accepted; relative stays relative.
        return "sqlite", str(Path(path).expanduser())
    if url.startswith(("mongodb://", "mongodb+srv://")):
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError("mongodb URL에 호스트가 없습니다")
        return "mongodb", url
    raise ValueError("지원하지 않는 저장소 URL")


_SECRET_PARAM = re.compile(r"pass|secret|key|token|credential|authmechanismproperties", re.I)
"""Query parameters whose value is (or may hold) a credential: tlsCertificateKeyFilePassword,
authMechanismProperties (AWS_SESSION_TOKEN:…), and any name that says password/secret/key."""


def redact_url(url: str) -> str:
    """The URL with every credential replaced by `***`, safe for logs, screens and answers:
    the whole user:password part and the value of every secret-looking query parameter.
    Works on text alone, so a malformed URL is redacted too, never an error."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() == "sqlite":  # a file path holds no credentials
        return url
    query_at = rest.find("?")
    head, query = (rest, "") if query_at < 0 else (rest[:query_at], rest[query_at + 1 :])
    at = head.rfind("@")  # the last one: a password may hold an unescaped '@' or '/'
    if at >= 0:
        head = "***@" + head[at + 1 :]
    if not query:
        return f"{scheme}://{head}" + ("?" if query_at >= 0 else "")
    parts = re.split(r"([&;])", query)
    for i in range(0, len(parts), 2):
        name, eq, _ = parts[i].partition("=")
        if eq and _SECRET_PARAM.search(unquote(name)):
            parts[i] = f"{name}=***"
    return f"{scheme}://{head}?" + "".join(parts)


class Settings(BaseSettings):
    """Everything stocklab reads from its environment. Secrets never appear in repr()."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    home: Path = Field(default=DEFAULT_HOME, description="데이터 디렉터리")
    store: str = Field(default="", description="저장소 URL (비우면 <home>/stocklab.db)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    commission_rate: Decimal = Field(
        default=Decimal("0.00015"), ge=0, lt=Decimal("0.01"), description="위탁수수료율 (편도)"
    )

    # The API server. The token file is made on first start unless a token is given here.
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65_535)
    api_token: SecretStr | None = None
    api_auth_reads: bool = False
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Trading: paper by default; live needs the LS keys and `stocklab trade run --live`.
    trading_account: str = Field(default="paper", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    # The store keeps live trading's orders, fills and positions apart from paper's, so a
    # paper reconcile never overwrites what the live account holds (and the other way).
    live_account: str = Field(default="live", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    paper_cash: int = Field(default=100_000_000, ge=0, description="모의 계좌 시작 예수금")
    strategies: list[dict[str, Any]] = Field(
        default_factory=list, description="[[strategies]] name, codes, params"
    )
    risk_max_order_krw: int = Field(default=10_000_000, ge=0)
    risk_max_position_pct: Decimal = Field(default=Decimal("0.30"), gt=0, le=1)
    risk_daily_loss_krw: int = Field(default=1_000_000, ge=0)
    risk_max_orders_per_minute: int = Field(default=10, ge=1)

    # Market data. `auto` is LS when its keys are set, else the offline simulator.
    source: Literal["auto", "sim", "ls", "datagokr", "naver"] = "auto"
    ls_appkey: SecretStr | None = None
    ls_appsecret: SecretStr | None = None
    ls_base_url: str = "https://openapi.ls-sec.co.kr:8080"
    ls_corporate: bool = False
    ls_paper: bool = Field(default=False, description="LS 앱 키가 모의투자 키인가")
    datagokr_key: SecretStr | None = None
    datagokr_base_url: str = "https://apis.data.go.kr/1160100/service"
    naver_base_url: str = "https://finance.naver.com"
    naver_chart_url: str = "https://fchart.stock.naver.com"
    sim_seed: int = Field(default=20240101, ge=0)
    sim_codes: int = Field(default=2_000, ge=10, le=5_000, description="모의 종목 수")
    sim_start: date = Field(default=date(2019, 1, 2), description="모의 일봉 시작일")
    jobs: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="작업 일정 덮어쓰기 ([jobs.이름] cron, timeout, enabled, args)",
    )
    job_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="추가 작업을 등록하는 모듈"
    )
    job_queue_limit: int = Field(
        default=8, ge=1, le=1_000, description="API로 시작해 대기·실행 중인 작업의 최대 수"
    )
    sim_now: datetime | None = Field(
        default=None, description="고정 시각 (시연·테스트용); 비우면 실제 시각"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _toml_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("store", mode="after")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value:
            parse_store_url(value)
        return value

    @field_validator("job_modules", "api_cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("sim_now", mode="after")
    @classmethod
    def _aware_now(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("sim_now needs a timezone")
        return value

    def now(self) -> datetime:
        """The system's clock: the fixed `sim_now` when set (demos, tests), else real KST time."""
        from stocklab.model import now_kst

        return self.sim_now if self.sim_now is not None else now_kst()

    @property
    def market_source(self) -> str:
        """The source collectors use: the configured one, or LS when keys are set, else sim."""
        if self.source != "auto":
            return self.source
        return "ls" if self.ls_appkey and self.ls_appsecret else "sim"

    @property
    def store_url(self) -> str:
        """The effective store URL: the configured one, or the embedded file in home."""
        return self.store or f"sqlite:///{self.home / 'stocklab.db'}"

    def as_env(self) -> dict[str, str]:
        """These settings as `STOCKLAB_*` variables, for a child process to read back the same.

        Only what was set (by env, file or argument) is exported; secrets are included,
        because the child needs them: the result goes to a child's environment, never a log.
        """
        out: dict[str, str] = {}
        for name in self.model_fields_set | {"home"}:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                text = value.get_secret_value()
            elif isinstance(value, dict | list):
                text = json.dumps(value, default=str)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, date | datetime):
                text = value.isoformat()
            else:
                text = str(value)
            out[f"{ENV_PREFIX}{name.upper()}"] = text
        out[f"{ENV_PREFIX}STORE"] = self.store_url
        return out

    def ensure_home(self) -> Path:
        """Create the data directory (0700: it holds tokens and the account database)."""
        try:
            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise home_unusable(self.home, exc) from None
        return self.home


def home_unusable(home: Path, exc: OSError) -> HomeUnusable:
    """Why the data directory cannot be used, in one line naming the path."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        cause = "디렉터리가 아니라 파일입니다 (또는 그 위의 경로 중 하나가 파일입니다)"
    elif exc.errno == errno.EROFS:
        cause = "읽기 전용 파일 시스템입니다"
    elif isinstance(exc, PermissionError):
        cause = "쓸 권한이 없습니다"
    else:
        cause = exc.strerror or str(exc)
    return HomeUnusable(
        f"데이터 디렉터리 {home}를 쓸 수 없습니다: {cause} — "
        "STOCKLAB_HOME을 쓸 수 있는 디렉터리로 바꾸세요"
    )


def _toml_path() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    local = Path("stocklab.toml")
    if local.is_file():
        return local
    home = Path(os.environ.get(f"{ENV_PREFIX}HOME", str(DEFAULT_HOME))).expanduser()
    candidate = home / "stocklab.toml"
    return candidate if candidate.is_file() else None


_ALLOWED: dict[str, str] = {
    "home": "쓰기 가능한 디렉터리 경로",
    "store": _describe_store_url(),
    "log_level": "DEBUG, INFO, WARNING, ERROR 중 하나",
    "commission_rate": "0 이상 0.01 미만의 소수 (예: 0.00015 = 0.015%)",
    "source": "auto, sim, ls, datagokr, naver 중 하나",
    "ls_base_url": "https://로 시작하는 주소",
    "datagokr_base_url": "https://로 시작하는 주소",
    "naver_base_url": "https://로 시작하는 주소",
    "naver_chart_url": "https://로 시작하는 주소",
    "ls_corporate": "true 또는 false",
    "ls_paper": "true 또는 false",
    "sim_seed": "0 이상의 정수",
    "sim_codes": "10 이상 5,000 이하의 정수",
    "sim_start": "YYYY-MM-DD 날짜",
    "sim_now": "시간대가 있는 시각 (예: 2024-06-03T15:40:00+09:00)",
    "jobs": "[jobs.작업이름] 표 (cron, timeout, enabled, args)",
    "api_port": "1~65535 사이의 포트 번호",
    "trading_account": "영문·숫자로 된 계좌 이름",
    "paper_cash": "0 이상의 정수 (원)",
    "strategies": "[[strategies]] 표 (name, codes, params)",
    "risk_max_order_krw": "0 이상의 정수 (원)",
    "risk_max_position_pct": "0 초과 1 이하 (예: 0.3)",
    "risk_daily_loss_krw": "0 이상의 정수 (원)",
    "risk_max_orders_per_minute": "1 이상의 정수",
    "api_auth_reads": "true 또는 false",
    "api_cors_origins": "쉼표로 나눈 origin (예: http://localhost:5173)",
    "job_modules": "쉼표로 나눈 파이썬 모듈 이름",
    "job_queue_limit": "1 이상 1,000 이하의 정수",
}


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning any problem into a one-line ConfigError."""
    toml_path = _toml_path()
    if toml_path is not None:
        if not toml_path.is_file():
            raise ConfigError(
                f"설정 오류: {ENV_PREFIX}CONFIG가 가리키는 {toml_path} 파일이 없습니다"
            )
        try:
            tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"설정 오류: {toml_path}를 읽을 수 없습니다 ({exc})") from None
    try:
        return Settings(**overrides)
    except SettingsError as exc:  # a value that is not even JSON (STOCKLAB_STRATEGIES='[bad')
        found = re.search(r'field "(\w+)"', str(exc))
        field = found.group(1) if found else "?"
        raise ConfigError(
            f"설정 오류: {ENV_PREFIX}{field.upper()}를 읽을 수 없습니다 — JSON 값이어야 합니다 "
            f"(허용: {_ALLOWED.get(field, field)})"
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        value = first.get("input")
        shown = redact_url(value) if isinstance(value, str) else value
        allowed = _ALLOWED.get(field, first["msg"])
        raise ConfigError(
            f"설정 오류: {ENV_PREFIX}{field.upper()}={shown!r} 은(는) 쓸 수 없습니다 "
            f"— 허용: {allowed}"
        ) from None
