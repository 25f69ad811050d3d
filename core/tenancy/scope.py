"""The one path to tenant data.

Every read and write of a tenant-owned table goes through a ``TenantScope``,
which cannot be made without a tenant and adds ``tenant = <id>`` to every
query it builds. A row of another tenant is simply not found: asking for it by
id gives the same answer as asking for an id that does not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from piccolo.columns import Column
from piccolo.query import Objects, Select
from piccolo.query.methods.count import Count
from piccolo.query.methods.update import Update
from piccolo.table import Table

T = TypeVar("T", bound=Table)


class NotFound(LookupError):
    """The row does not exist in this tenant (or at all: callers cannot tell)."""

    def __init__(self, what: str = "记录"):
        super().__init__(f"{what}不存在或无权访问")
        self.what = what


class TenantRequired(RuntimeError):
    pass


def is_tenant_owned(table: type[Table]) -> bool:
    return "tenant" in {c._meta.name for c in table._meta.columns}


class TenantScope:
    """Queries over one tenant's rows only."""

    __slots__ = ("tenant_id",)

    def __init__(self, tenant_id: int):
        if not isinstance(tenant_id, int) or isinstance(tenant_id, bool) or tenant_id <= 0:
            raise TenantRequired("租户数据必须在租户范围内访问")
        self.tenant_id = tenant_id

    def __repr__(self) -> str:
        return f"TenantScope({self.tenant_id})"

    def _check(self, table: type[Table]) -> None:
        if not (isinstance(table, type) and issubclass(table, Table)):
            raise TypeError(f"TenantScope needs a table class first, got {table!r}")
        if not is_tenant_owned(table):
            raise TenantRequired(f"{table._meta.tablename} 不是租户数据表")

    def _where(self, table: type[Table]) -> Any:
        return table._meta.get_column_by_name("tenant") == self.tenant_id

    def select(self, table: type[T], *columns: Column | str) -> Select:
        self._check(table)
        return table.select(*columns).where(self._where(table))

    def objects(self, table: type[T]) -> Objects:
        self._check(table)
        return table.objects().where(self._where(table))

    def count(self, table: type[T]) -> Count:
        self._check(table)
        return table.count().where(self._where(table))

    def update(self, table: type[T], values: dict[Column | str, Any]) -> Update:
        self._check(table)
        return table.update(values).where(self._where(table))

    async def get(self, table: type[T], row_id: int, what: str = "记录") -> T:
        """The row ``row_id`` of this tenant, or :class:`NotFound`."""
        self._check(table)
        if not isinstance(row_id, int):
            raise NotFound(what)
        row = await self.objects(table).where(table._meta.primary_key == row_id).first()
        if row is None:
            raise NotFound(what)
        return row

    async def get_row(self, table: type[T], row_id: int, what: str = "记录") -> dict[str, Any]:
        """Like :meth:`get`, as a dict with JSON columns decoded."""
        self._check(table)
        row = (
            await self.select(table)
            .where(table._meta.primary_key == row_id)
            .first()
            .output(load_json=True)
        )
        if row is None:
            raise NotFound(what)
        return row

    async def insert(self, table: type[T], **values: Any) -> T:
        """Insert one row into this tenant (``tenant`` is set here, never by the caller)."""
        self._check(table)
        if "tenant" in values:
            raise TenantRequired("不能为其他租户写入数据")
        row = table(tenant=self.tenant_id, **values)
        await row.save()
        return row

    async def exists(self, table: type[T], row_id: int) -> bool:
        self._check(table)
        return await self.count(table).where(table._meta.primary_key == row_id) > 0
