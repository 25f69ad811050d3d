"""Campaign uniqueness: one campaign of a name a year, one submission per agency,
one phase per position, and one review per reviewer and round (a second,
racing review of the same turn is refused by the database)."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-22T03:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaign unique indexes"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_campaign_tenant_year_name ON campaign "
    "(tenant, year, name)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_campaign_phase_position ON campaign_phase "
    "(tenant, campaign, position)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_campaign_submission_agency ON campaign_submission "
    "(tenant, campaign, agency)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_campaign_signoff_round ON campaign_signoff "
    "(tenant, submission, round)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_campaign_review_turn ON campaign_review "
    "(tenant, submission, round, position)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
