"""core.jobs: who runs a job, and when it is taken for dead."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta

import time_machine

from waibao.core import clock, jobs


def _killed_process() -> jobs.Owner:
    """A real process, started and killed with SIGKILL: its owner string as it was while it ran."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = jobs.Owner(socket.gethostname(), proc.pid, jobs._start_ticks(proc.pid))
        assert jobs.process_exists(owner)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    return owner


def test_this_process_is_alive_and_named_by_host_pid_and_start():
    me = jobs.this_process()
    assert me.host == socket.gethostname() and me.pid == os.getpid()
    assert jobs.Owner.parse(str(me)) == me
    assert jobs.death(str(me), clock.now() - timedelta(hours=1)) is None  # alive here: never dead


def test_a_killed_process_on_this_host_is_dead_at_once_whatever_its_lease():
    owner = _killed_process()
    found = jobs.death(str(owner), clock.now() + timedelta(minutes=5))
    assert found is not None and found.reason == "gone" and found.pid == owner.pid
    assert str(owner.pid) in found.text()


def test_a_pid_reused_by_a_newer_process_is_not_the_owner():
    me = jobs.this_process()
    if not me.started:  # no /proc: the start time is unknown, only the pid is checked
        return
    older = jobs.Owner(me.host, me.pid, str(int(me.started) - 1))
    assert not jobs.process_exists(older)
    assert jobs.death(str(older), None) is not None


def test_a_process_on_another_host_is_dead_only_when_its_lease_expired(settings):
    settings.WAIBAO_JOB_LEASE_SECONDS = 30
    other = "worker-elsewhere.example 4242 1"
    now = clock.now()
    assert jobs.death(other, now + timedelta(seconds=5), now=now) is None
    found = jobs.death(other, now - timedelta(seconds=40), now=now)
    assert found is not None and found.reason == "silent" and found.seconds == 40
    assert "40" in found.text()


def test_an_unclaimed_job_is_not_dead_by_the_lease_rule():
    assert jobs.death("", None) is None
    assert jobs.death("garbage", clock.now() - timedelta(days=1)) is None


def test_the_fresh_lease_lasts_the_configured_seconds(settings):
    settings.WAIBAO_JOB_LEASE_SECONDS = 12
    with time_machine.travel("2026-11-10 10:00 +08:00", tick=False):
        lease = jobs.fresh_lease()
        assert lease["lease_owner"] == str(jobs.this_process())
        assert lease["lease_until"] == clock.now() + timedelta(seconds=12)


def test_the_sweep_runs_every_registered_sweeper_even_after_one_fails(monkeypatch):
    calls = []

    def broken() -> int:
        raise RuntimeError("boom")

    def fine() -> int:
        calls.append(1)
        return 2

    monkeypatch.setattr(jobs, "SWEEPERS", {"broken": broken, "fine": fine})
    assert jobs.sweep_all() == {"broken": -1, "fine": 2} and calls == [1]


def test_the_sweep_is_scheduled_every_minute():
    from waibao.core.registry import SCHEDULE

    assert any(j.command == "sweep_jobs" and j.minutes == 1 for j in SCHEDULE)


def test_a_job_that_never_named_its_process_is_described_by_its_silence():
    assert jobs.Death("silent", "", "", 0, 1860).text() == "已 1,860 秒没有进展"
