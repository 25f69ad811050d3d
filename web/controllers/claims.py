"""认领: a clerk takes up a catalog entry issued from above as the agency's item."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.errors import DomainError
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.workflow.claims import claimable_entries
from qingdan.core.workflow.services import claim
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import MAX_QUERY_LENGTH, form_int
from qingdan.web.guards import requires_role
from qingdan.web.rendering import render

clerks_only = requires_role(Role.clerk)


def _matches(entry: dict, words: list[str]) -> bool:
    text = f"{entry['name']} {entry['base_code']}"
    return all(word in text for word in words)


class ClaimController(TenantController):
    path = "/t/{slug:str}/claims"

    @get("/", name="claims:list", guards=[clerks_only])
    async def index(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        request: Request,
        q: FromQuery[str] = "",
    ) -> Response:
        q = " ".join(q.split())[:MAX_QUERY_LENGTH]
        entries = await claimable_entries(ctx, principal)
        total = len(entries)
        if q:
            entries = [e for e in entries if _matches(e, q.split())]
        return render(
            request,
            "claims/list.html",
            {
                "entries": entries,
                "total": total,
                "q": q,
                "base": f"/t/{ctx.slug}",
            },
        )

    @post("/{entry_id:int}", name="claims:claim", status_code=303, guards=[clerks_only])
    async def claim_entry(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        entry_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        agency_id = form_int(form, "agency_id")
        if agency_id is None:
            mine = principal.agency_ids(Role.clerk)
            if len(mine) != 1:
                raise DomainError("请选择认领该事项的实施机构", "agency_id")
            (agency_id,) = mine
        item = await claim(ctx, principal, entry_id, agency_id)
        return Redirect(path=f"/t/{ctx.slug}/items/{item.id}", status_code=303)
