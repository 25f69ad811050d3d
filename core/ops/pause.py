"""Test-only pause points inside units of work, for the fault suite.

A worker can die anywhere, and what it was writing must then be there whole or
not at all. To prove it at a known place instead of by timing,
``tests/integration/test_faults.py`` starts a job in a separate process with
``QINGDAN_TEST_PAUSE_AT=<point>``: when the job reaches ``await pause_at(point)``
(placed mid-transaction, after some rows are written) it writes the file named
by ``QINGDAN_TEST_PAUSE_SIGNAL`` and sleeps, and the test kills the process
with SIGKILL. Without the variable (always, outside that suite) the call
returns at once and costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

PAUSE_AT = "QINGDAN_TEST_PAUSE_AT"
PAUSE_SIGNAL = "QINGDAN_TEST_PAUSE_SIGNAL"
#: The points that exist, so the suite can check it names real ones.
POINTS = ("publication.issue", "catalog_import.apply")


async def pause_at(point: str) -> None:
    """Sleep here (for the fault suite to kill this process) when asked to; else return."""
    if os.environ.get(PAUSE_AT) != point:
        return
    signal = os.environ.get(PAUSE_SIGNAL)
    if signal:
        Path(signal).write_text(point, encoding="utf-8")
    await asyncio.sleep(3600)
