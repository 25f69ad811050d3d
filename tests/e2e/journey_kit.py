"""What the browser journeys share: signing in as a demo user in a fresh browser
context, filling the elements the editor lists as missing, the axe-core check,
the screen-width check, and the screenshots kept for review.

The journeys run against one demo server for the whole session (conftest.py),
so each picks items no other test touches (named below) instead of reloading
the demo.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Screenshots of each journey's last page, kept for review (var/ is git-ignored).
SCREENSHOTS = Path(os.environ.get("QINGDAN_SCREENSHOTS") or REPO / "var" / "screenshots")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "qingdan-demo"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


async def signed_in(browser, server: str, slug: str, username: str, **options):
    """A new browser context (its own cookies) signed in as ``username``; (context, page)."""
    options = {"viewport": LAPTOP, "locale": "zh-CN"} | options
    context = await browser.new_context(**options)
    page = await context.new_page()
    await page.goto(f"{server}/t/{slug}/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{server}/t/{slug}/")
    return context, page


async def screenshot(page, name: str) -> Path:
    """Save the whole page as ``<SCREENSHOTS>/<name>.png`` for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


def path_of(url: str) -> str:
    """``/t/x/changes/3`` of ``http://host/t/x/changes/3?done=submit``."""
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0]


async def fill_missing(page, element_id: str, text: str = "示例") -> None:
    """Fill one required element the editor lists as missing, whatever its kind."""
    holder = page.locator(f"#{element_id}")
    classes = await holder.get_attribute("class") or ""
    if "rows-element" in classes:
        # A table: add a row in place (htmx) and fill its text fields.
        await holder.locator("button.row-add").click()
        first = page.locator(f"[id^='{element_id}-0-']").first
        await first.wait_for()
        row = page.locator("tr", has=first)
        for field in await row.locator("input[type=text], textarea").all():
            await field.fill(text)
        for select in await row.locator("select").all():
            await select.select_option(index=1)
    elif "field-group" in classes:
        for field in await holder.locator("input[type=number]").all():
            await field.fill("5")
        for field in await holder.locator("input[type=text], textarea").all():
            await field.fill(text)
        for select in await holder.locator("select").all():
            await select.select_option(index=1)
    elif "field-choices" in classes:
        await holder.locator("input[type=checkbox]").first.check()
    else:
        tag = await holder.evaluate("e => e.tagName")
        if tag == "SELECT":
            await holder.select_option(index=1)
        else:
            await holder.fill(text)


async def add_row(page, element: str, title: str, values: dict[str, str]) -> int:
    """新增一行 of a table element in the editor and fill it; the new row's index.

    ``values`` maps a column to its text, or to an option value for a select.
    """
    index = await page.locator(f"[id^='el-{element}-'][id$='-{next(iter(values))}']").count()
    await page.get_by_role("button", name=f"新增一行({title})").click()
    for column, value in values.items():
        field = page.locator(f"#el-{element}-{index}-{column}")
        await field.wait_for()
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    return index


async def fill_claimed_item(page, material: str) -> None:
    """Fill a freshly claimed item's draft the way a clerk would, so that it also
    passes the jurisdiction's quality checks: a named material with its source,
    the hall, separate consultation and complaint channels, and 全程网办 with no
    visit; then anything else the editor still lists as missing."""
    await add_row(
        page,
        "materials",
        "申请材料",
        {"name": material, "source": "applicant", "type": "original", "copies": "1"},
    )
    missing = {await a.inner_text() for a in await page.locator(".missing-list a").all()}
    if "办理地点" in missing:
        await add_row(
            page,
            "locations",
            "办理地点",
            {
                "name": "市政务服务中心",
                "address": "市民中心一楼综合窗口",
                "hours": "工作日 9:00-12:00、14:30-17:30",
                "phone": "0935-8212345",
            },
        )
    # Always two distinct channels: the quality checks refuse a complaint channel
    # that only repeats the consultation one, whatever the editor lists as missing.
    await add_row(page, "consultation", "咨询方式", {"value": "0935-8212345", "kind": "phone"})
    await add_row(page, "complaints", "监督投诉方式", {"value": "12345", "kind": "phone"})
    await page.locator("#el-online_depth").select_option("IV")
    await page.locator("#el-visits").fill("0")
    # The missing list may still name what was just filled (it is redrawn as the
    # clerk types): filling those again would overwrite row 1 with 示例.
    done = ("materials", "locations", "consultation", "complaints", "online_depth", "visits")
    await fill_every_missing(page, skip={f"el-{name}" for name in done})


async def fill_every_missing(page, skip: set[str] = frozenset()) -> list[str]:
    """Fill all the elements the editor lists as missing (but ``skip``); their titles."""
    links = page.locator(".missing-list a")
    titles = await links.all_inner_texts()
    targets = [(await a.get_attribute("href")).lstrip("#") for a in await links.all()]
    for target in targets:
        if target not in skip:
            await fill_missing(page, target)
    return titles


#: axe-core findings that fail a page: people cannot get past them.
BLOCKING = ("serious", "critical")


async def axe_violations(page) -> list[dict]:
    """The page's serious and critical axe-core findings (rule, impact, where)."""
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


async def assert_accessible(page, what: str) -> None:
    violations = await axe_violations(page)
    assert not violations, f"{what} ({page.url}) 无障碍问题:\n" + json.dumps(
        violations, ensure_ascii=False, indent=1
    )


async def fits_the_screen(page) -> bool:
    """Nothing sticks out sideways: the page needs no horizontal scrolling."""
    return await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


async def approve_as(
    browser, server: str, slug: str, username: str, change_path: str, office: str
) -> None:
    """``username`` finds the request in the review queue, sees it is at ``office``'s
    step, and approves it."""
    context, page = await signed_in(browser, server, slug, username)
    try:
        await page.goto(f"{server}/t/{slug}/reviews")
        await page.locator(f"a[href='{change_path}']").first.click()
        await page.wait_for_url(re.compile(re.escape(change_path) + r"$"))
        active = await page.locator("#chain [aria-current=step] .step-head").inner_text()
        assert office in active, active
        await page.get_by_role("button", name="通过", exact=True).click()
        await page.get_by_text("已审核通过").first.wait_for()
    finally:
        await context.close()


async def submit_change(page, kind: str, reason: str) -> str:
    """提交调整申请 from the item page; the new request's path.

    A refusal (a quality check, a missing element) fails with its message
    instead of a bare timeout.
    """
    await page.get_by_text("提交调整申请").click()
    await page.get_by_label("调整类型").select_option(label=kind)
    await page.get_by_label("调整原因(必填)").fill(reason)
    await page.get_by_role("button", name="提交申请").click()
    await page.wait_for_load_state()
    errors = page.locator("#adjust .form-error")
    if await errors.count():
        raise AssertionError("提交被拒绝: " + " ".join(await errors.all_inner_texts()))
    assert re.search(r"/changes/\d+\?done=submit$", page.url), page.url
    return path_of(page.url)
