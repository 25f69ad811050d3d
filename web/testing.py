"""One web app per process for tests.

Building the app registers ~280 handlers and costs about 0.2 s; the suite
opens a client hundreds of times. The app keeps no state between requests
(sessions live in the cookie, the database pool is opened and closed by its
lifespan), so tests share one app per settings and each client runs its own
startup and shutdown.
"""

from __future__ import annotations

from litestar import Litestar

from qingdan.core.config import Settings, get_settings
from qingdan.web.app import create_app

_apps: dict[Settings, Litestar] = {}


def shared_app(settings: Settings | None = None) -> Litestar:
    """The app for these settings (the current ones by default), built once."""
    settings = settings or get_settings()
    app = _apps.get(settings)
    if app is None:
        app = _apps[settings] = create_app(settings)
    return app
