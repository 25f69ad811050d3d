"""The main journey, person by person in the browser: a clerk claims an item
issued from above and fills in its elements, submits; each office of 金昌's
chain approves from its review queue; the data center's approval publishes it;
the guide is on the public portal for anyone.
"""

import re

import journey_kit as kit

SLUG = "jinchang"
#: An entry no other browser test claims.
ENTRY = "公共图书馆读者证办理"
MATERIAL = "读者证申请登记表"
#: 金昌's chain for a claim: office → demo user (plugins/jinchang rules.json).
CHAIN = (("实施机构审核员", "reviewer"), ("本级审改机构", "reform"), ("市大数据中心", "data"))


async def test_claim_fill_submit_chain_approves_and_the_guide_is_public(browser, server):
    context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")

    # 认领: from the claim inbox, in one action, to the new item.
    await clerk.goto(f"{server}/t/{SLUG}/claims")
    row = clerk.locator("table tbody tr", has=clerk.get_by_text(ENTRY, exact=True))
    await row.get_by_role("button", name="认领").click()
    await clerk.wait_for_url(re.compile(r".*/items/\d+$"))
    item_path = kit.path_of(clerk.url)
    item_id = int(item_path.rsplit("/", 1)[1])
    assert await clerk.locator("h1").inner_text() == ENTRY

    # The editor: one named material, then every element still missing.
    await clerk.get_by_role("link", name="编辑草稿").click()
    await clerk.wait_for_url(f"{server}{item_path}/edit")
    assert await clerk.locator(".missing-list a").count(), "a claimed item lacks elements"
    await kit.fill_claimed_item(clerk, MATERIAL)
    await clerk.get_by_role("button", name="保存草稿").click()
    await clerk.wait_for_url(f"{server}{item_path}?done=saved")

    # Submit the claim: the chain is built from 金昌's plugin.
    change_path = await kit.submit_change(clerk, "认领", "认领上级下发事项,要素已填写完整")
    chain = clerk.locator("#chain li")
    assert [
        (await step.locator(".step-head span").first.inner_text()) for step in await chain.all()
    ] == [office for office, _ in CHAIN]
    await context.close()

    # Each office finds it in its own review queue and approves it.
    for office, username in CHAIN:
        await kit.approve_as(browser, server, SLUG, username, change_path, office)

    # Published: the clerk sees it so, and the item is in use.
    context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")
    await clerk.goto(f"{server}{change_path}")
    assert "已发布" in await clerk.locator("hgroup").inner_text()
    await clerk.goto(f"{server}{item_path}")
    assert await clerk.locator(".status").first.inner_text() == "在用"
    await context.close()

    # The public portal: found by its name, its guide lists the clerk's material.
    public = await browser.new_context(viewport=kit.LAPTOP, locale="zh-CN")
    page = await public.new_page()
    await page.goto(f"{server}/p/{SLUG}/")
    await page.get_by_role("searchbox", name="搜索事项").fill(ENTRY)
    await page.get_by_role("button", name="搜索").click()
    await page.locator(f".portal-item a[href='/p/{SLUG}/items/{item_id}']").first.click()
    await page.wait_for_url(f"{server}/p/{SLUG}/items/{item_id}")
    assert await page.locator("h1").inner_text() == ENTRY
    assert await page.get_by_text(MATERIAL).first.is_visible()
    await kit.screenshot(page, "journey-1-published-guide-on-portal")
    await public.close()
