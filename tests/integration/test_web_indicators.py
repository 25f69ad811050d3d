"""The 指标 pages as users meet them: the leaders' dashboard with charts and the same
figures in tables, the snapshot button, and a 金昌 bulletin that names exactly the
agencies its rule names, as a PDF set in a CJK font; who may see what, and
tenants kept apart."""

from __future__ import annotations

import io
import re
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.codes import USCC
from qingdan.core.catalog.services import create_catalog_entry, create_item, publish_draft
from qingdan.core.checks.tables import QualityFinding
from qingdan.core.indicators import recheck
from qingdan.core.indicators.bulletins import named_agencies
from qingdan.core.indicators.snapshots import latest_snapshot, today
from qingdan.core.indicators.tables import Bulletin
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.tables import Agency, Division
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.core.workflow.tables import ChangeRequest, ChangeStep, Obligation
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
CHART_JSON = re.compile(r'<script type="application/json" id="indicator-chart-data">(.*?)</script>')


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str) -> None:
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


async def logout(c, slug: str) -> None:
    page = await c.get(f"/t/{slug}/indicators/")
    token = csrf_from(page.text) if page.status_code == 200 else None
    if token is None:
        page = await c.get(f"/t/{slug}/")
        token = csrf_from(page.text)
    await c.post(f"/t/{slug}/logout", data={"_csrf_token": token}, follow_redirects=False)


def pdf_fonts(pdf: bytes) -> dict[str, bool]:
    """Every font on every page: base name -> whether its font file is embedded."""
    from pypdf import PdfReader

    fonts: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            embedded = descriptor is not None and any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# A 金昌 tenant whose figures make the rule name exactly A, C and D -------------------------------


def _doc(code: str, depth: str) -> dict:
    return {
        "name": f"测试事项{code}",
        "base_code": code,
        "item_type": "licensing",
        "online_depth": depth,
        "visits": 0,
        "case_type": "promised",
        "statutory_limit": {"value": 20, "unit": "working_day"},
        "promised_limit": {"value": 10, "unit": "working_day"},
        "materials": [{"name": "申请书", "source": "applicant"}],
    }


async def _item(t, agency: int, code: str, depth: str) -> int:
    entry = await create_catalog_entry(t.ctx, SYSTEM, _doc(code, depth))
    item = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=agency)
    await publish_draft(t.ctx, SYSTEM, item.id)
    return item.id


async def _jinchang(make_tenant):
    """Agencies A, B, C (from the kit), D and E (added; E has no items):

    - 网办率 and 全程网办率: A 100%, B 100%, C 50%, D 0%: the worst three are B, C, D, but B
      is as good as the best, so only C and D are 排名靠后 (both indicators);
    - every other ranked indicator is equal for all: nobody is behind on it;
    - A has a change request past its step's deadline (动态调整不及时) and a hall update
      past its due date (优化更新不及时);
    - D has 2 open quality findings (质检问题整改不到位);
    - E has no items: no data, named for nothing.
    """
    t = await make_tenant(plugin="jinchang")
    city = await t.ctx.scope.get(Division, t.city_division_id)
    a, b, c = t.agency_ids
    extra = []
    for i, name in ((7, "丁局"), (8, "戊局")):
        uscc = USCC.compose("1", "1", city.code[:6], f"{t.tenant_id % 1000:03d}{i:05d}").value
        agency = await tenancy.add_agency(t.ctx.scope, SYSTEM, f"{t.slug}{name}", uscc, city.id)
        extra.append(agency.id)
    d, e = extra
    item_a = await _item(t, a, "891001", "IV")
    await _item(t, b, "891002", "IV")
    await _item(t, c, "891003", "IV")
    await _item(t, c, "891004", "II")
    item_d = await _item(t, d, "891005", "II")
    yesterday = today() - timedelta(days=1)
    cr = await t.ctx.scope.insert(
        ChangeRequest,
        item=item_a,
        agency=a,
        subject_name="测试事项891001",
        kind="amend",
        status="in_review",
        author=t.users["clerk"],
        reason="压缩承诺时限",
        submitted_at=datetime.now(UTC) - timedelta(days=10),
    )
    await t.ctx.scope.insert(
        ChangeStep,
        change_request=cr.id,
        position=0,
        name="审改机构审核",
        role="reform_office",
        status="active",
        started_at=datetime.now(UTC) - timedelta(days=10),
        due_date=yesterday,
    )
    await t.ctx.scope.insert(
        Obligation,
        item=item_a,
        change_request=cr.id,
        kind="hall_update",
        title="大厅进驻事项调整更新",
        role="service_center",
        due_date=yesterday,
    )

    # D's item has two open quality findings (real rows, as a check run leaves them).
    for rule, element in (("core.visits_reason", "visits_reason"), ("core.fee_basis", "fees")):
        await t.ctx.scope.insert(
            QualityFinding,
            item=item_d,
            agency=d,
            rule_id=rule,
            severity="block",
            element=element,
            message="测试用质检问题",
        )
    names = {}
    for agency_id in (a, b, c, d, e):
        names[agency_id] = (await t.ctx.scope.get(Agency, agency_id)).name
    return t, (a, b, c, d, e), names


async def test_a_jinchang_bulletin_names_exactly_the_agencies_its_rule_names(
    make_tenant,
):
    t, (a, b, c, d, e), names = await _jinchang(make_tenant)
    base = f"/t/{t.slug}/indicators"
    # (The service calls happen between the client's blocks: the app owns the pool while open.)
    async with client() as http:
        await login(http, t.slug, "data_center")
        page = await http.get(f"{base}/")
        assert page.status_code == 200
        assert "尚无指标快照" in page.text and "生成今日快照" in page.text
        r = await http.post(
            f"{base}/snapshots",
            data={"_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=snapshot")
        listing = await http.get(f"{base}/bulletins")
        assert listing.status_code == 200
        preview = listing.text[listing.text.index('id="preview-table"') :]
        preview = preview[: preview.index("</table>")]
        for agency in (a, c, d):
            assert names[agency] in preview
        for agency in (b, e):
            assert names[agency] not in preview
        cited = re.search(r'name="snapshot" value="(\d+)"', listing.text).group(1)
        r = await http.post(
            f"{base}/bulletins",
            data={"snapshot": cited, "_csrf_token": csrf_from(listing.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("/bulletins?done=1")

    snapshot = await latest_snapshot(t.ctx)
    assert snapshot["day"] == today() and str(snapshot["id"]) == cited
    row = await t.ctx.scope.select(Bulletin).first().output(load_json=True)
    assert row["number"] == 1 and row["snapshot"] == snapshot["id"]
    assert row["data_day"] == today()
    # The names, and why.
    reasons = {n["agency"]: [r["reason"] for r in n["reasons"]] for n in row["named"]}
    assert reasons == {
        a: ["动态调整不及时", "优化更新不及时(大厅进驻事项、线下办事指南未按期更新)"],
        c: ["网办率排名靠后", "全程网办率排名靠后"],
        d: ["质检问题整改不到位", "网办率排名靠后", "全程网办率排名靠后"],
    }
    by_reason = {r["reason"]: r for n in row["named"] for r in n["reasons"] if n["agency"] == d}
    assert by_reason["网办率排名靠后"]["detail"] == "排名第4/4,在后3名之内"
    assert by_reason["网办率排名靠后"]["fraction"] == "0/1"
    assert by_reason["质检问题整改不到位"]["value_text"] == "2个"
    # Reproducible from the snapshot it cites, with the rule it applied.
    leader = await tenancy.load_principal(t.users["reform_office"])
    assert await recheck(t.ctx, leader, row["id"])

    async with client() as http:
        await login(http, t.slug, "reform_office")
        listing = await http.get(f"{base}/bulletins")
        assert "第1期" in listing.text and names[a] in listing.text
        pdf = await http.get(f"{base}/bulletins/{row['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    fonts = pdf_fonts(pdf.content)
    cjk = {name: embedded for name, embedded in fonts.items() if "CJK" in name}
    assert cjk and all(cjk.values()), fonts
    compact = re.sub(r"\s+", "", pdf_text(pdf.content))
    for agency in (a, c, d):
        assert names[agency] in compact
    for agency in (b, e):
        assert names[agency] not in compact
    assert f"指标快照#{snapshot['id']}" in compact
    assert today().isoformat() in compact
    assert "政务服务事项动态调整督查通报" in compact and "第1期" in compact

    # Data that change later do not change what the bulletin cites.
    await _item(t, d, "891006", "IV")
    assert await recheck(t.ctx, leader, row["id"])
    assert [n.agency for n in named_agencies(snapshot["document"], _rule(row))] == [a, c, d]


def _rule(row):
    import msgspec

    from qingdan.core.hooktypes import BulletinRule

    return msgspec.convert(row["rule"], BulletinRule)


async def test_the_dashboard_shows_charts_tables_and_gaps_and_each_role_its_own(
    make_tenant,
):
    t, (a, b, c, d, e), names = await _jinchang(make_tenant)
    other = await make_tenant(plugin="jinchang")
    base = f"/t/{t.slug}/indicators"
    async with client() as http:
        await login(http, t.slug, "tenant_admin")
        page = await http.get(f"{base}/?indicator=full_online_rate")
        assert page.status_code == 200
        html = page.text
        # The chart's data is JSON in the page, and chart.js is loaded from the vendor folder.
        import json

        data = json.loads(CHART_JSON.search(html).group(1))
        assert set(data["ranking"]["labels"][:2]) == {names[a], names[b]}  # tied first
        assert data["ranking"]["labels"][2:] == [names[c], names[d]]  # E: no data, no bar
        assert data["ranking"]["data"] == [100.0, 100.0, 50.0, 0.0]
        assert "/static/vendor/chart.umd.min.js" in html
        # The same figures, readable without JavaScript: the ranking table, with target gaps.
        table = html[html.index('id="ranking-table"') :]
        table = table[: table.index("</table>")]
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        assert names[d] in rows[-2] and "0.0%" in rows[-2] and "差100.0个百分点" in rows[-2]
        assert names[e] in rows[-1] and "无数据" in rows[-1]
        # The tenant's overview: 网办率 3/5 (A, B and C's first item) against the target of 100%.
        overview = html[html.index('id="ind-overview"') : html.index('id="ind-trend"')]
        online = re.search(r"网办率</span></th>(.*?)</tr>", overview, re.S).group(1)
        assert re.findall(r'<td class="num">(.*?)</td>', online, re.S)[:2] == ["60.0%", "3/5"]
        assert "差40.0个百分点" in online
        assert "全部" in html and other.slug not in html
        # The nav links the page.
        assert f'href="/t/{t.slug}/indicators"' in html

        # No snapshot yet: the page computed live; after one, the trend table lists its day.
        await http.post(
            f"{base}/snapshots", data={"_csrf_token": csrf_from(html)}, follow_redirects=False
        )
        again = await http.get(f"{base}/")
        assert today().isoformat() in again.text and "走势数据表" in again.text
        assert "生成今日快照" not in again.text
        await logout(http, t.slug)

        # A clerk sees their own agency (A) only, and no bulletins.
        await login(http, t.slug, "clerk")
        own = await http.get(f"{base}/")
        assert own.status_code == 200
        assert names[a] in own.text
        for agency in (b, c, d, e):
            assert names[agency] not in own.text
        assert "ranking-table" not in own.text and "生成今日快照" not in own.text
        assert (await http.get(f"{base}/bulletins")).status_code == 403
        forbidden = await http.post(
            f"{base}/snapshots", data={"_csrf_token": csrf_from(own.text)}, follow_redirects=False
        )
        assert forbidden.status_code == 403
        await logout(http, t.slug)

        # 司法行政 has no indicator page.
        await login(http, t.slug, "legal_reviewer")
        assert (await http.get(f"{base}/")).status_code == 403

    # A leader of another tenant reaches neither this tenant's pages nor its bulletins.
    from qingdan.core.indicators import issue_bulletin

    leader = await tenancy.load_principal(t.users["tenant_admin"])
    snapshot = await latest_snapshot(t.ctx)
    row = await issue_bulletin(t.ctx, leader, snapshot["id"])
    async with client() as http:
        await login(http, other.slug, "tenant_admin")
        assert (await http.get(f"{base}/")).status_code == 404
        assert (await http.get(f"{base}/bulletins/{row['id']}/pdf")).status_code == 404
        assert (
            await http.get(f"/t/{other.slug}/indicators/bulletins/{row['id']}/pdf")
        ).status_code == 404
        mine = await http.get(f"/t/{other.slug}/indicators/")
        assert mine.status_code == 200
        for name in names.values():
            assert name not in mine.text
        # Issuing from another tenant's snapshot is refused as not found.
        listing = await http.get(f"/t/{other.slug}/indicators/bulletins")
        r = await http.post(
            f"/t/{other.slug}/indicators/bulletins",
            data={"snapshot": str(snapshot["id"]), "_csrf_token": csrf_from(listing.text)},
            follow_redirects=False,
        )
        assert r.status_code == 404
    assert await other.ctx.scope.count(Bulletin) == 0


async def test_the_home_page_shows_each_role_its_key_indicators_once_a_snapshot_exists(
    make_tenant,
):
    from qingdan.core.indicators.snapshots import take_snapshot

    t, (a, _b, c, _d, _e), names = await _jinchang(make_tenant)
    async with client() as http:
        await login(http, t.slug, "data_center")
        before = await http.get(f"/t/{t.slug}/")
    assert "关键指标" in before.text and "尚无指标快照" in before.text
    await take_snapshot(t.ctx, day=today())
    async with client() as http:
        await login(http, t.slug, "data_center")
        leader = (await http.get(f"/t/{t.slug}/")).text
        await login(http, t.slug, "clerk")
        clerk = (await http.get(f"/t/{t.slug}/")).text
        await login(http, t.slug, "legal_reviewer")
        legal = (await http.get(f"/t/{t.slug}/")).text
    board = leader[leader.index('id="key-indicators"') :]
    board = board[: board.index("</section>")]
    # 5 items, 3 fully online (A, B and one of C's): the tenant's 全程网办率 is 60.0%.
    assert "全租户" in board and "60.0%" in board and "网办率" in board
    mine = clerk[clerk.index('id="key-indicators"') :]
    mine = mine[: mine.index("</section>")]
    assert names[a] in mine and "全租户" not in mine and "100.0%" in mine
    assert names[c] not in mine  # a clerk sees their own agency only
    assert 'id="key-indicators"' not in legal  # no indicator rights, no block
