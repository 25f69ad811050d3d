"""Tables of 家门口办 (listed in TABLES, which core/db/registry.py reads).

A service point is the 便民服务中心 or 便民服务站 of a township, street, village
or community division (一乡镇(街道)一中心、一村(社区)一站点), so it needs no
table of its own: a delegation names the division and the item.
"""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import Item
from qingdan.core.tenancy.tables import Division, Tenant, User


class Delegation(Table, tablename="delegation"):
    """An item a service point handles on site (下沉事项)."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    division = ForeignKey(Division, null=False, index=True)  # the service point's division
    item = ForeignKey(Item, null=False, index=True)
    mode = Varchar(length=20, default="entrusted")  # entrusted / authorized / assisted
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [Delegation]
