"""A clerk signs in and finds items in a real browser."""

import re


async def test_clerk_signs_in_filters_without_reload_and_opens_an_item(page, server, login):
    await login(page, "jinchang", "clerk")
    await page.goto(f"{server}/t/jinchang/items")
    total = await page.locator(".summary").inner_text()
    all_items = int(re.search(r"共\s*(\d+)\s*项", total).group(1))
    assert all_items >= 100

    # htmx replaces only the results: a marker set on the page survives.
    await page.evaluate("window.__marker = 'still here'")
    await page.get_by_label("关键词").fill("食品经营")
    await page.wait_for_function(
        "document.querySelector('.summary').innerText.match(/共\\s*(\\d+)/)[1] < " + str(all_items)
    )
    assert await page.evaluate("window.__marker") == "still here"
    assert "q=" in page.url, "the filter is in the address, so it can be shared"
    rows = page.locator("table tbody tr")
    assert await rows.count() >= 1
    first = rows.first.locator("a").first
    name = await first.inner_text()
    assert "食品" in name
    await first.click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == name
    assert await page.get_by_role("heading", name="申请材料").count() == 1


async def test_another_tenants_item_is_not_found(page, server, login):
    await login(page, "jinchang", "clerk")
    response = await page.goto(f"{server}/t/anyang/items")
    assert response.status == 404
