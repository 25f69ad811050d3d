"""Indicators (指标), daily snapshots, targets and bulletins (通报).

- measures.py: what each measure counts (numerator, denominator, unit, direction);
- definitions.py: core's indicators, the default bulletin rule, and a tenant's set
  (core's with its plugin's ``qingdan_indicators`` applied);
- compute.py: every figure for every agency, division and the tenant;
- snapshots.py: the daily snapshot (one per tenant and day);
- figures.py: reading a snapshot: values, rankings, target gaps;
- bulletins.py: the agencies a rule names, and the bulletin PDF;
- dashboard.py: who sees what on the leaders' page;
- docs.py: docs/indicators.md, generated from the definitions.
"""

from qingdan.core.indicators.bulletins import (
    BULLETIN_ROLES,
    NamedAgency,
    issue_bulletin,
    list_bulletins,
    may_issue,
    named_agencies,
    read_pdf,
    recheck,
)
from qingdan.core.indicators.dashboard import DASHBOARD_ROLES, build_dashboard, may_view, view_for
from qingdan.core.indicators.definitions import (
    CORE_DEFINITIONS,
    DEFAULT_BULLETIN_RULE,
    Indicator,
    IndicatorConfig,
    IndicatorConfigError,
    resolve,
)
from qingdan.core.indicators.figures import Figure, Figures
from qingdan.core.indicators.snapshots import latest_snapshot, take_snapshot

__all__ = [
    "BULLETIN_ROLES",
    "CORE_DEFINITIONS",
    "DASHBOARD_ROLES",
    "DEFAULT_BULLETIN_RULE",
    "Figure",
    "Figures",
    "Indicator",
    "IndicatorConfig",
    "IndicatorConfigError",
    "NamedAgency",
    "build_dashboard",
    "issue_bulletin",
    "latest_snapshot",
    "list_bulletins",
    "may_issue",
    "may_view",
    "named_agencies",
    "read_pdf",
    "recheck",
    "resolve",
    "take_snapshot",
    "view_for",
]
