"""When each job runs: defaults, overrides from `stocklab.toml` `[jobs.NAME]`, cron parsing.

Cron is five fields as in crontab (minute hour day month weekday), or six with seconds
first. Weekday numbers follow crontab (0 and 7 are Sunday); APScheduler 3 counts from
Monday, so numbers are translated to names before it sees them.
"""

from __future__ import annotations

import re
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stocklab.config import ConfigError, Settings
from stocklab.jobs.registry import coerce_args, get_job, load_job_modules
from stocklab.model import KST

DEFAULTS: dict[str, dict[str, Any]] = {
    # before the 08:30 pre-market: today's code list
    "collect_codes": {"cron": "0 8 * * mon-fri", "timeout": 600},
    # after the close and the after-hours sessions (18:00), when the day's bars are final
    "collect_daily": {"cron": "10 18 * * mon-fri", "timeout": 1800},
    # during the session: minute bars every ten minutes, and once after the close
    "collect_minute": {"cron": "*/10 9-15 * * mon-fri", "timeout": 540},
    # in the evening, once investor and short-selling figures are published
    "collect_flows": {"cron": "30 18 * * mon-fri", "timeout": 1800},
    # trading: a cycle every five minutes of the regular session, paper by default
    "trade": {"cron": "*/5 9-15 * * mon-fri", "timeout": 240},
    # the store kept in step with the broker's orders, fills and balances
    "reconcile": {"cron": "* 9-15 * * mon-fri", "timeout": 50},
}
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


class JobSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    cron: str
    enabled: bool = True
    timeout: int = Field(default=1800, ge=1, le=86_400)
    trading_days_only: bool = False
    args: dict[str, Any] = Field(default_factory=dict)

    def trigger(self) -> CronTrigger:
        return make_trigger(self.cron)


def _weekday_names(field: str) -> str:
    """Crontab weekday numbers (0/7 = Sunday) as names APScheduler cannot misread."""
    return re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: _DAYS[int(m.group(1))], field)


def make_trigger(cron: str) -> CronTrigger:
    """A KST cron trigger from five fields, or six with seconds first."""
    fields = cron.split()
    if len(fields) == 5:
        second, (minute, hour, day, month, weekday) = "0", fields
    elif len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
    else:
        raise ValueError(
            f"cron {cron!r}: 필드가 5개(분 시 일 월 요일) 또는 6개(초 포함)여야 합니다"
        )
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=KST,
    )


def load_schedules(settings: Settings) -> dict[str, JobSchedule]:
    """Defaults merged with the settings' `[jobs]` overrides; any mistake is a ConfigError."""
    try:
        load_job_modules(settings.job_modules)
    except ValueError as exc:
        raise ConfigError(f"설정 오류: STOCKLAB_JOB_MODULES — {exc}") from None
    out: dict[str, JobSchedule] = {}
    for name in {**DEFAULTS, **settings.jobs}:
        where = f"stocklab.toml [jobs.{name}]"
        try:
            job = get_job(name)
        except ValueError as exc:
            raise ConfigError(f"설정 오류: {where} — {exc}") from None
        raw = {"trading_days_only": job.trading_days_only, **DEFAULTS.get(name, {})}
        raw.update(settings.jobs.get(name, {}))
        try:
            schedule = JobSchedule(name=name, **raw)
            schedule.trigger()
            coerce_args(job, schedule.args)  # a mistake shows at start, not at every run
        except (ValidationError, ValueError, TypeError) as exc:
            if isinstance(exc, ValidationError):
                err = exc.errors()[0]
                detail = f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
            else:
                detail = str(exc)
            raise ConfigError(f"설정 오류: {where} — {detail}") from None
        out[name] = schedule
    return out
