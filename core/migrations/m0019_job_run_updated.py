from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Job runs note when they last moved"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="qingdan", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="JobRun",
        tablename="job_run",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
