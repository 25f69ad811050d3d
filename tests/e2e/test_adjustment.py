"""A suspension walks 金昌's whole chain in the browser, person by person."""

import re


async def test_suspension_through_the_jinchang_chain(browser, server, login, tmp_path):
    async def as_user(username):
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        await login(page, "jinchang", username)
        return context, page

    # The clerk opens one of the agency's published items and asks to suspend it.
    clerk_ctx, clerk = await as_user("clerk")
    await clerk.goto(f"{server}/t/jinchang/items?status=published")
    # The demo clerk works for the first agency of the 金昌 demo data.
    await clerk.locator("select[name=agency_id]").select_option(label="金昌市发展和改革委员会")
    await clerk.get_by_role("button", name="筛选").click()
    await clerk.wait_for_load_state("networkidle")
    await clerk.locator("table tbody tr a").first.click()
    await clerk.wait_for_load_state()
    item_url = clerk.url
    item_name = await clerk.locator("h1").inner_text()
    await clerk.get_by_text("提交调整申请").click()  # opens the folded form
    await clerk.get_by_label("调整类型").select_option(label="暂停")
    await clerk.get_by_label("调整原因(必填)").fill("系统升级,暂停受理一周")
    await clerk.get_by_role("button", name="提交申请").click()
    await clerk.wait_for_url(re.compile(r".*/changes/\d+.*"))
    change_url = clerk.url.split("?")[0]
    await clerk_ctx.close()

    # The agency's reviewer finds it in the inbox, attaches the provincial
    # department's consent (金昌 第十一条) and approves.
    ctx, page = await as_user("reviewer")
    await page.goto(f"{server}/t/jinchang/")
    await page.get_by_role("link", name=item_name).first.click()
    await page.wait_for_load_state()
    assert page.url.split("?")[0] == change_url
    await page.get_by_role("button", name="通过").click()
    # Refused in place (htmx), naming the missing document.
    await page.get_by_text("通过前须上传附件").wait_for()
    consent = tmp_path / "省级业务部门同意意见.pdf"
    consent.write_bytes(b"%PDF-1.4\n% consent\n")
    await page.get_by_label("附件类型").select_option(label="省级业务部门同意意见")
    await page.get_by_label("文件").set_input_files(str(consent))
    await page.get_by_role("button", name="上传").click()
    await page.get_by_text("附件已上传").first.wait_for()
    await page.get_by_role("button", name="通过").click()
    await page.get_by_text("已审核通过").wait_for()
    await ctx.close()

    for username in ("reform", "data"):
        ctx, page = await as_user(username)
        await page.goto(change_url)
        await page.get_by_role("button", name="通过").click()
        await page.get_by_text("已审核通过").wait_for()
        await ctx.close()

    ctx, page = await as_user("clerk")
    await page.goto(item_url)
    assert "暂停" in await page.locator(".status").first.inner_text()
    await page.goto(change_url)
    text = await page.content()
    assert "已发布" in text
    for office in ("审核员", "审改机构", "大数据中心"):
        assert office in text
    await ctx.close()
