"""Schedules: APScheduler queues the periodic jobs; dramatiq runs them.

Embedded, the scheduler runs inside the web process; in production one
``qingdan scheduler`` process does it (jobs are idempotent, so a second
scheduler would only repeat work, never double it).
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

#: Minutes between deadline scans.
SCAN_EVERY_MINUTES = 15
#: When the daily indicator snapshots are taken (Asia/Shanghai), hour and minute.
SNAPSHOT_AT = (0, 30)
#: When the scheduled publications are issued (Asia/Shanghai): after the working day.
PUBLISH_AT = (18, 0)
#: When the nightly quality check runs (Asia/Shanghai): before the indicator snapshot,
#: so the snapshot counts the night's open findings.
CHECK_AT = (0, 10)


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
    from qingdan.core.jobs.actors import snapshot_all_tenants

    # The day's indicator snapshot, early in the morning (and after a restart:
    # a snapshot already taken that day is kept, so this changes nothing then).
    scheduler.add_job(
        snapshot_all_tenants.send,
        "cron",
        hour=SNAPSHOT_AT[0],
        minute=SNAPSHOT_AT[1],
        id="snapshot_all_tenants",
    )
    scheduler.add_job(snapshot_all_tenants.send, "date", id="snapshot_on_start")
    from qingdan.core.jobs.actors import publish_all_tenants

    # The evening's publication of what changed that day (each tenant's plugin
    # says whether it wants one that day; nothing changed, nothing issued).
    scheduler.add_job(
        publish_all_tenants.send,
        "cron",
        hour=PUBLISH_AT[0],
        minute=PUBLISH_AT[1],
        id="publish_all_tenants",
    )
    from qingdan.core.jobs.actors import check_all_tenants

    # Every tenant's quality check (质检), nightly; running twice changes nothing more.
    scheduler.add_job(
        check_all_tenants.send,
        "cron",
        hour=CHECK_AT[0],
        minute=CHECK_AT[1],
        id="check_all_tenants",
    )
    scheduler.start()
    return scheduler
