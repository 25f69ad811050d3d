"""Piccolo's configuration module (PICCOLO_CONF points here).

``DB`` is the engine :func:`qingdan.core.db.connect` bound, so piccolo's own
tools (migrations) use the same database as the app.
"""

from piccolo.conf.apps import AppRegistry

from qingdan.core.db import get_engine

DB = get_engine()

APP_REGISTRY = AppRegistry(apps=["qingdan.core.piccolo_app"])
