"""The error hierarchy: what can go wrong outside stocklab, by kind.

Each kind maps to one answer by its class, so the API, the CLI and the job runner treat
it alike: a source or broker that cannot deliver is the server's trouble (API 503, exit 1),
as is a data directory or database that cannot be used (`StorageFailure`),
a code the source does not have is a 404, a broker's refusal is the order's answer. Every
error carries `hint`, what the user can do, because a collector runs unattended and its
run history is what a person reads later.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source could not deliver; `hint` tells the user what to do next."""

    def __init__(self, message: str, *, hint: str = "", source: str = "") -> None:
        super().__init__(message)
        self.hint = hint
        self.source = source

    def __str__(self) -> str:
        text = super().__str__()
        prefix = f"[{self.source}] " if self.source else ""
        return f"{prefix}{text}" + (f" — {self.hint}" if self.hint else "")


class AuthError(SourceError):
    """The key or token was refused (missing, wrong, expired, not yet approved)."""


class RateLimited(SourceError):
    """Too many calls. `retry_after` seconds, or `daily=True` when the day's quota is gone."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        source: str = "",
        retry_after: float | None = None,
        daily: bool = False,
    ) -> None:
        super().__init__(message, hint=hint, source=source)
        self.retry_after = retry_after
        self.daily = daily


class SourceUnavailable(SourceError):
    """The source did not answer (network, timeout, 5xx, maintenance)."""


class BadResponse(SourceError):
    """The source answered with something that cannot be read as documented."""


class NotSupported(SourceError):
    """This source does not offer this kind of data."""


class UnknownCode(SourceError):
    """The source has no instrument by this code (delisted, or a smaller universe)."""


class BrokerRejected(SourceError):
    """The broker refused the order (price band, balance, market closed…); nothing is open."""

    def __init__(self, message: str, *, code: str = "", hint: str = "", source: str = "") -> None:
        super().__init__(message, hint=hint, source=source)
        self.code = code


class OrderUnknown(SourceError):
    """The request may or may not have reached the exchange (a timeout, a dropped line).

    Never resend: look the order up with `Broker.orders()` first.
    """


class StorageFailure(Exception):
    """The data directory or the database cannot be used (full, read-only, corrupt, missing,
    a file where a directory belongs): the server's trouble, API 503 and exit 1. The message
    is one line naming the path, the cause and what to do."""


class HomeUnusable(StorageFailure):
    """The data directory (`STOCKLAB_HOME`) cannot be made or used."""
