"""各类清单: the lists a government keeps, each a view of the published catalog.

``views`` builds a list's rows from published element documents (the rule of
each list is one small function there); ``xlsx`` writes a list as a workbook
with Chinese headings. Which lists a tenant keeps and which are public is its
plugin's answer to ``qingdan_catalog_lists``.
"""

from qingdan.core.catalog.lists.views import (
    COLUMNS,
    RULES,
    CatalogList,
    ListRow,
    Snapshot,
    all_lists,
    build_list,
    item_title,
    list_specs,
    rows_of,
    snapshot,
    spec_for,
    title_of,
)
from qingdan.core.catalog.lists.xlsx import filename, workbook_bytes

__all__ = [
    "COLUMNS",
    "RULES",
    "CatalogList",
    "ListRow",
    "Snapshot",
    "all_lists",
    "build_list",
    "filename",
    "item_title",
    "list_specs",
    "rows_of",
    "snapshot",
    "spec_for",
    "title_of",
    "workbook_bytes",
]
