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
from piccolo.querystring import QueryString
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


class _Compiled(QueryString):
    """A statement with its parameters already in the engine's placeholder style."""

    def __init__(self, sql: str, args: list[Any], table: type[Table]):
        super().__init__("", query_type="insert", table=table)
        self._sql = sql
        self._args = args

    def compile_string(self, engine_type: str = "postgres") -> tuple[str, list[Any]]:
        return self._sql, self._args

    def __str__(self) -> str:
        return self._sql


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

    async def insert_many(
        self, table: type[T], rows: list[dict[str, Any]], chunk: int = 500
    ) -> list[int]:
        """Insert many rows into this tenant, a few multi-row INSERTs in all; returns
        their ids in the order of ``rows``.

        For bulk work (an import of thousands of entries), where one round trip
        per row, or even building a piccolo row object per row, takes minutes:
        each chunk is one flat parameterised statement. Missing columns get their
        defaults, as ``insert`` would give them.
        """
        import msgspec
        from piccolo.columns import JSON, JSONB
        from piccolo.columns.defaults.base import Default

        self._check(table)
        pk = table._meta.primary_key
        columns = [c for c in table._meta.columns if not c._meta.primary_key]
        names = {c._meta.name for c in columns}
        # JSON columns take their text; every other value is passed as it is.
        as_json = {c._meta.name for c in columns if isinstance(c, (JSON, JSONB))}
        defaults: dict[str, Any] = {}
        for column in columns:
            value = column.get_default_value()
            defaults[column._meta.name] = value
        engine = table._meta.db
        head = (
            f"INSERT INTO {table._meta.get_formatted_tablename()} ("
            + ",".join(f'"{c._meta.db_column_name}"' for c in columns)
            + ") VALUES "
        )
        ids: list[int] = []
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            args: list[Any] = []
            for values in part:
                if "tenant" in values:
                    raise TenantRequired("不能为其他租户写入数据")
                unknown = values.keys() - names
                if unknown:
                    raise ValueError(f"{table.__name__} 没有列 {sorted(unknown)}")
                for column in columns:
                    name = column._meta.name
                    if name == "tenant":
                        args.append(self.tenant_id)
                        continue
                    value = values[name] if name in values else defaults[name]
                    if isinstance(value, Default):
                        value = value.python()
                    elif name in as_json and value is not None and not isinstance(value, str):
                        value = msgspec.json.encode(value).decode()
                    args.append(value)
            width = len(columns)
            if engine.engine_type == "sqlite":
                marks = ",".join(["(" + ",".join("?" * width) + ")"] * len(part))
            else:
                marks = ",".join(
                    "(" + ",".join(f"${n * width + i + 1}" for i in range(width)) + ")"
                    for n in range(len(part))
                )
            sql = f'{head}{marks} RETURNING "{pk._meta.db_column_name}"'
            # Handed to the engine already compiled: piccolo's own query building
            # costs more than the database for tens of thousands of values. The
            # engine runs it in the caller's transaction, like any other query.
            result = await engine.run_querystring(_Compiled(sql, args, table))
            # One statement numbers its rows in VALUES order on both engines, so
            # sorting the ids gives them back in the order of ``rows``.
            ids.extend(sorted(r[pk._meta.db_column_name] for r in result))
        return ids

    async def exists(self, table: type[T], row_id: int) -> bool:
        self._check(table)
        return await self.count(table).where(table._meta.primary_key == row_id) > 0
