"""The piccolo app: one app, one migrations folder, for SQLite and PostgreSQL."""

import os

from piccolo.conf.apps import AppConfig

from qingdan.core.db.registry import all_tables

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="qingdan",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "migrations"),
    table_classes=all_tables(),
    migration_dependencies=[],
    commands=[],
)
