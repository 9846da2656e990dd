"""Background jobs that may die: a lease the running process keeps, so that a dead job is seen at once.

A job model adds :class:`Leased` (two fields: ``lease_owner`` — host, pid and process start time of the
process running it — and ``lease_until``). Lifecycle::

    queued ──claim()──> running, owner = this process, lease_until = now + WAIBAO_JOB_LEASE_SECONDS
                           │  renew(): at each progress step, and every third of the lease from a
                           │  background thread (keep_alive) while a long step (one big merge) runs
                           ├──> finished by its own process (succeeded / failed / cancelled …)
                           └──> dead (death() is not None) ──> the app cleans up and fails the job

A job is dead when its process is gone (same host: the pid no longer exists, or belongs to a newer
process) or, for a process on another host, when its lease has expired. A live process on this host is
never declared dead — it may be inside a long transaction that blocks its own renewals (SQLite) — so a
job is never failed under a process that is still running it. Whoever notices first (the job page, the
API, a new import, a cancel, the ``sweep_jobs`` command every minute) fails it, through a conditional
update guarded by :func:`still_dead`, so two noticers or a late renewal never both win.

The app keeps the rules: what "clean up" means (staging rows), the message, the audit entry. Register
the app's sweep with :func:`sweeper`; ``waibao sweep_jobs`` runs them all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waibao.core import clock

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 30


def lease_seconds() -> int:
    """How long a lease lasts without renewal (``WAIBAO_JOB_LEASE_SECONDS``, at least 3 s)."""
    return max(3, int(getattr(settings, "WAIBAO_JOB_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)))


class Leased(models.Model):
    """Mixin for a job model run by one process at a time."""

    lease_owner = models.CharField(_("运行进程"), max_length=300, blank=True)
    lease_until = models.DateTimeField(_("租约到期时间"), null=True, blank=True)

    class Meta:
        abstract = True

    def death(self, now: datetime | None = None) -> Death | None:
        return death(self.lease_owner, self.lease_until, now=now)


# --- who runs a job -------------------------------------------------------------------------------


def _start_ticks(pid: int) -> str:
    """The process's start time (clock ticks since boot, Linux ``/proc``); "" where unknown. With the
    pid it names one process: a pid reused by a newer process has another start time."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
    except OSError:
        return ""
    # The command name (2nd field) may hold spaces and parentheses: count from the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: str = ""

    def __str__(self) -> str:
        return f"{self.host} {self.pid} {self.started}".strip()

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = (text or "").split()
        if len(parts) < 2 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "")


def this_process() -> Owner:
    pid = os.getpid()
    return Owner(socket.gethostname(), pid, _start_ticks(pid))


def process_exists(owner: Owner) -> bool:
    """Whether the owner's process still runs (asked on the owner's host only)."""
    if owner.pid <= 0:
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    if owner.started:
        now_started = _start_ticks(owner.pid)
        if now_started and now_started != owner.started:
            return False  # the pid now belongs to a newer process
        if not now_started and os.path.isdir("/proc") and not os.path.exists(f"/proc/{owner.pid}"):
            return False
    return True


# --- deciding death -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Death:
    """Why a job's process is taken for dead: ``"gone"`` (no such process on its host any more) or
    ``"silent"`` (another host's process that has not renewed its lease)."""

    reason: str
    owner: str
    host: str
    pid: int
    #: seconds since the lease expired ("silent")
    seconds: int = 0

    def text(self) -> str:
        """The reason in the active language, for the job's message."""
        if self.reason == "gone":
            return gettext("进程 %(pid)s（主机 %(host)s）已不存在") % {"pid": self.pid, "host": self.host}
        if self.reason == "silent" and not self.host:  # a job that never named its process
            return gettext("已 %(s)s 秒没有进展") % {"s": f"{self.seconds:,}"}
        if self.reason == "silent":
            return gettext("运行它的进程（主机 %(host)s）已 %(s)s 秒没有响应") % {
                "host": self.host,
                "s": f"{self.seconds:,}",
            }
        return gettext("没有运行它的进程")


def death(owner_text: str, until: datetime | None, *, now: datetime | None = None) -> Death | None:
    """None while the job's process may still be running it; else why it is dead.

    A job with no owner was never claimed: it is not dead by this rule (the app decides about jobs it
    started before leases existed)."""
    owner = Owner.parse(owner_text)
    if owner is None:
        return None
    if owner.host == socket.gethostname():
        return None if process_exists(owner) else Death("gone", owner_text, owner.host, owner.pid)
    now = now or clock.now()
    if until is not None and until < now:
        return Death("silent", owner_text, owner.host, owner.pid, int((now - until).total_seconds()))
    return None


def still_dead(found: Death, *, now: datetime | None = None) -> Q:
    """The condition for the update that fails a dead job: the same owner and — for a silent one — a
    lease still expired when the update runs (a late renewal, or a long transaction that extended the
    lease and then committed, keeps the job alive)."""
    cond = Q(lease_owner=found.owner)
    if found.reason == "silent":
        cond &= Q(lease_until__lt=now or clock.now())
    return cond


# --- holding a lease ------------------------------------------------------------------------------


def fresh_lease(*, seconds: float | None = None) -> dict[str, Any]:
    """The field values of a lease held by this process from now (for a claim or renewal update)."""
    span = lease_seconds() if seconds is None else seconds
    return {"lease_owner": str(this_process()), "lease_until": clock.now() + timedelta(seconds=span)}


def claim(queryset: models.QuerySet[Any], **changes: Any) -> bool:
    """Take the job(s) in ``queryset`` (filtered to the state it may be claimed from, e.g. queued) for
    this process, with ``changes`` (e.g. ``status="running"``) in the same conditional update. True if
    one row was claimed."""
    return queryset.update(**fresh_lease(), **changes) == 1


def renew(model: type[models.Model], pk: Any, *, seconds: float | None = None, **changes: Any) -> bool:
    """Extend this process's lease of job ``pk`` (and write ``changes`` in the same update); False if
    the job is no longer ours (failed by someone who took us for dead)."""
    lease = fresh_lease(seconds=seconds)
    return (
        model._default_manager.filter(pk=pk, lease_owner=lease["lease_owner"]).update(**lease, **changes) == 1
    )


@contextlib.contextmanager
def keep_alive(model: type[models.Model], pk: Any, *, every: float | None = None) -> Iterator[None]:
    """Renew the lease from a background thread every ``every`` seconds (a third of the lease) while
    the block runs, so a long step without progress updates keeps the job alive. The thread has its own
    database connection, closed when it ends."""
    stop = threading.Event()
    interval = lease_seconds() / 3 if every is None else every

    def loop() -> None:
        try:
            while not stop.wait(interval):
                try:
                    renew(model, pk)
                except Exception:  # a locked database (SQLite during the job's own merge), a lost link
                    log.debug("lease renewal of %s #%s failed", model.__name__, pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=loop, name=f"lease-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)


# --- sweeping -------------------------------------------------------------------------------------

#: name → function failing the dead jobs of one kind; returns how many it failed.
SWEEPERS: dict[str, Callable[[], int]] = {}


def sweeper(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register ``fn`` (no arguments, returns a count) for ``waibao sweep_jobs``."""

    def register(fn: Callable[[], int]) -> Callable[[], int]:
        SWEEPERS[name] = fn
        return fn

    return register


def sweep_all() -> dict[str, int]:
    """Run every registered sweeper; one that fails does not stop the others (it is logged)."""
    counts: dict[str, int] = {}
    for name, fn in SWEEPERS.items():
        try:
            counts[name] = fn()
        except Exception:
            log.exception("job sweeper %s failed", name)
            counts[name] = -1
    return counts
