"""Accessibility and layout of the main pages in the browser: axe-core finds no
serious or critical problem (labels, contrast, names, landmarks ...), the
keyboard reaches the content with a visible focus, and nothing needs sideways
scrolling on a 1366x768 laptop or on a phone.

Uses 朔州 (no other browser test changes its items): the clerk asks to suspend
one item, so the change request page and the review queue have something in them.
"""

import re

import journey_kit as kit

SLUG = "shuozhou"
AGENCY = "朔州市朔城区行政审批服务管理局"  # the demo clerk's agency


async def _suspension(browser, server) -> tuple[str, str]:
    """The clerk asks to suspend the agency's last item by name: (item path, change path)."""
    context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")
    await clerk.goto(f"{server}/t/{SLUG}/items?status=published&sort=name&desc=1")
    await clerk.locator("select[name=agency_id]").select_option(label=AGENCY)
    await clerk.get_by_role("button", name="筛选").click()
    await clerk.wait_for_load_state("networkidle")
    await clerk.locator("#results table tbody tr a").first.click()
    await clerk.wait_for_url(re.compile(r".*/items/\d+$"))
    item_path = kit.path_of(clerk.url)
    change_path = await kit.submit_change(clerk, "暂停", "办事大厅装修,暂停受理两周")
    await context.close()
    return item_path, change_path


async def test_main_pages_pass_axe_and_fit_a_laptop_and_a_phone(browser, server):
    item_path, change_path = await _suspension(browser, server)
    base = f"{server}/t/{SLUG}"
    checked: list[str] = []

    async def check(page, what: str) -> None:
        await kit.assert_accessible(page, what)
        assert await kit.fits_the_screen(page), f"{what} 在 1366x768 下需要横向滚动"
        checked.append(what)

    context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")
    await check(clerk, "首页(待办)")
    await clerk.goto(f"{base}/items")
    await check(clerk, "事项清单")
    await clerk.goto(f"{server}{item_path}")
    await check(clerk, "事项详情")
    await clerk.goto(f"{server}{item_path}/history")
    await check(clerk, "历史记录")
    await clerk.goto(f"{server}{item_path}/edit")
    await check(clerk, "编辑草稿")
    # A refused save: the error summary and the field's message are accessible too.
    await clerk.get_by_role("textbox", name="事项名称").fill("")
    await clerk.get_by_role("button", name="保存草稿").click()
    await clerk.locator("#error-summary").wait_for()
    await check(clerk, "编辑草稿(保存被拒)")
    await context.close()

    context, reviewer = await kit.signed_in(browser, server, SLUG, "reviewer")
    await reviewer.goto(f"{base}/reviews")
    await check(reviewer, "审核队列")
    await reviewer.locator(f"a[href='{change_path}']").click()
    await reviewer.wait_for_url(f"{server}{change_path}")
    await check(reviewer, "调整申请(审核)")
    await context.close()

    public = await browser.new_context(viewport=kit.LAPTOP, locale="zh-CN")
    page = await public.new_page()
    await page.goto(f"{server}/p/{SLUG}/")
    await page.locator(".portal-item h2 a").first.click()
    await page.wait_for_url(re.compile(r".*/p/shuozhou/items/\d+$"))
    await check(page, "门户办事指南")
    await public.close()

    # Platform administration, with a refused new-tenant form: the messages sit
    # at their fields, in Chinese (the form does not rely on the browser's own).
    operator = await browser.new_context(viewport=kit.LAPTOP, locale="zh-CN")
    page = await operator.new_page()
    await page.goto(f"{server}/admin/login")
    await page.get_by_label("用户名").fill("platform")
    await page.get_by_label("密码").fill(kit.DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{server}/admin")
    await check(page, "平台租户管理")
    await page.get_by_label("标识(用于网址 /t/标识/)").fill("Bad Slug")
    await page.get_by_role("button", name="创建租户").click()
    await page.locator("#tenant-slug-error").wait_for()
    assert await page.locator("#tenant-name-error").inner_text() == "请填写租户名称"
    assert await page.locator("#tenant-plugin-error").inner_text() == "请选择辖区插件"
    await check(page, "平台租户管理(表单被拒)")
    await kit.screenshot(page, "platform-new-tenant-refused")
    await operator.close()

    assert len(checked) == 11


async def test_the_keyboard_reaches_the_content_and_focus_is_visible(browser, server):
    context, page = await kit.signed_in(browser, server, SLUG, "clerk")
    await page.goto(f"{server}/t/{SLUG}/items")
    # The first Tab lands on the skip link; Enter takes the focus past the navigation.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent.trim()") == "跳到正文"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    # From there Tab walks the filter form; each stop shows a solid outline.
    for _ in range(3):
        await page.keyboard.press("Tab")
        focus = await page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                return {tag: e.tagName, inMain: !!e.closest('main'),
                        style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""
        )
        assert focus["inMain"], focus
        assert focus["style"] != "none" and focus["width"] >= 2, focus
    # The filter works from the keyboard alone: type a keyword, Enter.
    await page.get_by_label("关键词").focus()
    await page.keyboard.type("节能")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*q=%E8%8A%82%E8%83%BD.*|.*q=节能.*"))
    await context.close()


async def test_pages_are_readable_on_a_phone(browser, server):
    context, page = await kit.signed_in(browser, server, SLUG, "clerk", **kit.PHONE)
    base = f"{server}/t/{SLUG}"
    await page.goto(f"{base}/items")
    await page.locator("select[name=agency_id]").select_option(label=AGENCY)
    await page.get_by_role("button", name="筛选").click()
    await page.wait_for_load_state("networkidle")
    first = await page.locator("#results table tbody tr a").first.get_attribute("href")
    for path in ("/", "/items", "/claims", "/obligations", "/catalog"):
        await page.goto(base + path)
        assert await kit.fits_the_screen(page), f"{path} 在手机上需要横向滚动"
    for path in (first, f"{first}/history", f"{first}/edit"):
        await page.goto(server + path)
        assert await kit.fits_the_screen(page), f"{path} 在手机上需要横向滚动"
    await page.goto(f"{base}/")
    await kit.screenshot(page, "phone-home")
    await context.close()
