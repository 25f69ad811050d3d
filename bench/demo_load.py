"""Time to migrate and load the demo tenants into a fresh SQLite database.

    .venv/bin/python bench/demo_load.py
"""

import asyncio
import os
import tempfile
import time


async def main() -> None:
    os.environ["QINGDAN_DATA_DIR"] = tempfile.mkdtemp(prefix="qingdan-bench-")
    os.environ.pop("QINGDAN_DATABASE_URL", None)
    from qingdan.core.config import get_settings
    from qingdan.core.db import connect
    from qingdan.core.db.migrate import migrate
    from qingdan.core.demo.loader import load_demo
    from qingdan.core.plugins import get_registry

    connect(get_settings())
    t0 = time.perf_counter()
    await migrate()
    t1 = time.perf_counter()
    summaries = await load_demo(get_registry())
    t2 = time.perf_counter()
    items = sum(s.items for s in summaries)
    print(f"migrate: {t1 - t0:.2f} s")
    print(f"demo load: {t2 - t1:.2f} s for {len(summaries)} tenants, {items} items")
    print(f"per item: {(t2 - t1) / max(items, 1) * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
