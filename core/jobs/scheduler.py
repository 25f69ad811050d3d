"""Schedules: APScheduler queues the periodic jobs; dramatiq runs them.

Embedded, the scheduler runs inside the web process; in production one
``qingdan scheduler`` process does it (jobs are idempotent, so a second
scheduler would only repeat work, never double it).
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

#: Minutes between deadline scans.
SCAN_EVERY_MINUTES = 15


def start_scheduler() -> BackgroundScheduler:
    from qingdan.core.jobs.actors import scan_all_tenants

    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(
        scan_all_tenants.send,
        "interval",
        minutes=SCAN_EVERY_MINUTES,
        id="scan_all_tenants",
        next_run_time=None,
    )
    # Once shortly after start, so a restart does not wait a whole interval.
    scheduler.add_job(scan_all_tenants.send, "date", id="scan_on_start")
    scheduler.start()
    return scheduler
