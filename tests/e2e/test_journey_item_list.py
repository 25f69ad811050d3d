"""The item list in the browser: a filter narrows the count shown, and page 2 of
the filtered list comes without reloading the page, its address shareable."""

import re

import journey_kit as kit

SLUG = "jinchang"
SUMMARY = re.compile(r"共\s*(\d+)\s*项,第\s*(\d+)\s*/\s*(\d+)\s*页")


async def summary(page) -> tuple[int, int, int]:
    """(items, this page, pages) as the list says."""
    text = await page.locator("#results .summary").inner_text()
    match = SUMMARY.search(text)
    assert match, text
    return int(match[1]), int(match[2]), int(match[3])


async def column(page, n: int) -> list[str]:
    return await page.locator(f"#results table tbody tr td:nth-child({n})").all_inner_texts()


async def test_filter_shows_counts_and_page_two_comes_without_reload(browser, server):
    context, page = await kit.signed_in(browser, server, SLUG, "reform")
    await page.goto(f"{server}/t/{SLUG}/items")
    everything, _, _ = await summary(page)
    await page.evaluate("window.__marker = 'same page'")

    # Choosing a type is enough: the results update in place (htmx).
    await page.get_by_label("事项类型").select_option(label="行政许可")
    await page.wait_for_function(
        f"!document.querySelector('#results .summary').innerText.includes('共 {everything} 项')"
    )
    licences, current, pages = await summary(page)
    assert 20 < licences < everything and (current, pages) == (1, -(-licences // 20))
    first_page = await column(page, 2)  # 实施编码: unique
    assert len(first_page) == 20
    assert set(await column(page, 3)) == {"行政许可"}
    assert "item_type=" in page.url

    # Page 2: only the results are replaced; the address follows.
    await page.locator("nav.pagination").get_by_role("link", name="2", exact=True).click()
    await page.wait_for_function(
        "/第\\s*2\\s*\\//.test(document.querySelector('#results .summary').innerText)"
    )
    assert await page.evaluate("window.__marker") == "same page"
    assert (await summary(page))[:2] == (licences, 2)
    second_page = await column(page, 2)
    assert second_page and not set(second_page) & set(first_page)
    assert set(await column(page, 3)) == {"行政许可"}
    assert "page=2" in page.url and "item_type=" in page.url
    assert await page.locator("nav.pagination [aria-current=page]").inner_text() == "2"
    await kit.screenshot(page, "journey-4-item-list-filtered-page-2")

    # The address opens the same page afresh (bookmarked, shared).
    shared = page.url
    await page.goto(shared)
    assert await summary(page) == (licences, 2, pages)
    assert await column(page, 2) == second_page
    await context.close()
