"""A job process's life: who it is, and that it dies with its parent and by its deadline.

A pid alone does not name a process for long: after a crash and a restart the pid of a
dead job may belong to something else. So a run records its process's start stamp too
(on Linux the boot id and the start time in /proc/<pid>/stat), and a process counts as the
run's only while both match. A job's child process asks the kernel for a signal when its
parent dies (PR_SET_PDEATHSIG) and keeps a watchdog thread that stops it when the parent
is gone or its own deadline has passed, whoever started it and whatever became of them.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from stocklab.model import JobStatus

log = logging.getLogger("stocklab.jobs")

WATCH_SECONDS = 0.5
"""How often the watchdog looks at the parent and the clock."""
GRACE_SECONDS = 5.0
"""How long the job gets to end its record after the watchdog asked it to stop."""
_PR_SET_PDEATHSIG = 1


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_stamp(pid: int) -> str | None:
    """The start stamp of process `pid` ("host:boot id:start ticks"), None where the
    system does not tell (not Linux) or the process does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces or parentheses
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    # field 22, starttime, counted from field 3
    return f"{socket.gethostname()}:{_boot_id()}:{fields[19]}"


def elsewhere(stamp: str | None) -> bool:
    """Whether `stamp` names a process on another machine (a MongoDB store may be shared):
    its pid means nothing here, so this machine must not judge it."""
    return stamp is not None and stamp.split(":", 1)[0] != socket.gethostname()


def process_alive(pid: int, stamp: str | None) -> bool:
    """Whether `pid` is still the process that had `stamp` (any process with that pid, when
    no stamp was recorded). A zombie has ended: it only waits to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = process_stamp(pid)
    if stamp is not None and now is not None and now != stamp:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return sys.platform != "linux"  # elsewhere the kill(0) above is all there is
    return state[state.rfind(")") + 2 :][:1] not in ("Z", "X")


class Stopped(BaseException):
    """Raised in a job's main thread when it must stop now: by a signal, because its
    parent died, or because its time ran out. A BaseException, like KeyboardInterrupt, so
    that the job's own `except Exception` does not swallow it."""

    def __init__(self, status: JobStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Lifeline:
    """The child's side: the parent it must not outlive and the deadline it must keep."""

    parent: int | None
    timeout: float | None
    started: float = 0.0
    cause: Stopped | None = None
    raised: bool = False

    def orphaned(self) -> bool:
        return self.parent is not None and os.getppid() != self.parent

    def overdue(self) -> bool:
        return self.timeout is not None and time.monotonic() - self.started >= self.timeout

    def why(self, signum: int) -> Stopped:
        """What a stop signal means here: the watchdog's reason, else the parent's death,
        else an outside signal (shutdown of stocklab, or a person)."""
        if self.cause is not None:
            return self.cause
        if self.orphaned():
            return orphaned(self.parent)
        name = signal.Signals(signum).name
        return Stopped(JobStatus.INTERRUPTED, f"{name} 신호를 받아 중단했습니다")


def orphaned(parent: int | None) -> Stopped:
    return Stopped(
        JobStatus.INTERRUPTED,
        f"작업을 시작한 stocklab 프로세스(pid {parent})가 끝나 작업도 멈췄습니다",
    )


def overdue(timeout: float) -> Stopped:
    return Stopped(
        JobStatus.TIMED_OUT, f"제한 시간 {timedelta(seconds=round(timeout))}을 넘겨 멈췄습니다"
    )


PARENT_DIED = getattr(signal, "SIGHUP", signal.SIGTERM)
"""The signal Linux sends when the parent dies: one of its own, so that it is told apart
from a SIGTERM even while the dying parent still shows as this process's parent (the
kernel sends it when the thread that started the child exits, maybe before the rest)."""


def ask_parent_death_signal(sig: int = PARENT_DIED) -> bool:
    """Ask Linux to send `sig` to this process when its parent thread ends; False where
    that is not available (the watchdog still notices, a little later)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def hold(
    parent: int | None, timeout: float | None, on_stuck: Callable[[Stopped], None] | None = None
) -> Lifeline:
    """Tie this (the job's) process to `parent` and `timeout`: a stop signal raises
    `Stopped` in the main thread, and a watchdog sends that signal when the parent is gone
    or the deadline has passed. If the job does not stop within the grace time (stuck in
    C code), `on_stuck` records the reason and the process exits hard."""
    line = Lifeline(parent=parent, timeout=timeout, started=time.monotonic())

    def stop(stopped: Stopped) -> None:
        # Once only: a second signal must not cut short the job's ending of its record.
        if line.raised:
            return
        line.raised = True
        line.cause = line.cause or stopped
        raise line.cause

    signal.signal(signal.SIGTERM, lambda signum, _frame: stop(line.why(signum)))
    if parent is not None:
        signal.signal(PARENT_DIED, lambda _signum, _frame: stop(orphaned(parent)))
        ask_parent_death_signal()
        if line.orphaned():  # the parent died before the request above
            stop(orphaned(parent))

    def watch() -> None:
        while not line.raised:
            time.sleep(WATCH_SECONDS)
            if line.raised:
                break
            if line.orphaned():
                line.cause = orphaned(parent)
            elif line.overdue() and timeout is not None:
                line.cause = overdue(timeout)
            else:
                continue
            log.warning("%s", line.cause.reason)
            os.kill(os.getpid(), signal.SIGTERM)
            break
        time.sleep(GRACE_SECONDS)  # the job ends its record and exits, or is stuck
        if on_stuck is not None and line.cause is not None:
            with contextlib.suppress(Exception):
                on_stuck(line.cause)
        os._exit(128 + signal.SIGTERM)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
    return line
