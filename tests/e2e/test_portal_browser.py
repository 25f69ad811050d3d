"""A citizen on a phone finds a guide and downloads its PDF, without signing in."""

import pytest

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


@pytest.fixture
async def phone(browser):
    context = await browser.new_context(**PHONE, accept_downloads=True)
    yield context
    await context.close()


async def _fits_the_screen(page) -> bool:
    return await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


async def test_citizen_on_a_phone_searches_opens_the_guide_and_downloads_the_pdf(phone, server):
    page = await phone.new_page()
    await page.goto(f"{server}/")
    jinchang = page.locator("article", has_text="金昌市")
    await jinchang.get_by_role("link", name="办事指南查询").click()
    await page.wait_for_load_state()
    assert page.url.endswith("/p/jinchang/")
    assert await _fits_the_screen(page)

    # htmx swaps the results only; the address keeps the search, to share it.
    await page.evaluate("window.__marker = 'still here'")
    await page.get_by_role("searchbox", name="搜索事项").fill("开饭店")
    await page.get_by_role("button", name="搜索").click()
    result = page.locator(".portal-item h2 a", has_text="食品经营许可").first
    await result.wait_for()
    assert await page.evaluate("window.__marker") == "still here"
    assert "q=" in page.url
    assert await _fits_the_screen(page)

    await result.click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "食品经营许可"
    materials = page.get_by_role("heading", name="申请材料")
    await materials.scroll_into_view_if_needed()
    assert await materials.is_visible()
    assert await page.get_by_text("食品经营许可申请书").first.is_visible()
    assert await _fits_the_screen(page)

    link = page.get_by_role("link", name="下载办事指南(PDF)")
    href = await link.get_attribute("href")
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    with open(await download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    assert download.suggested_filename.endswith(".pdf")
    response = await phone.request.get(server + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["etag"] and response.headers["last-modified"]


async def test_the_portal_works_without_javascript(browser, server):
    context = await browser.new_context(**PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server}/p/jinchang/")
    await page.get_by_role("searchbox", name="搜索事项").fill("食品")
    await page.get_by_role("button", name="搜索").click()
    await page.wait_for_load_state()
    assert "q=" in page.url
    assert await page.locator(".portal-item").count() >= 1
    kinds = page.locator(".portal-facets details", has_text="事项类型")
    await kinds.locator("summary").click()  # <details> opens without JavaScript
    await kinds.locator("a").first.click()
    await page.wait_for_load_state()
    assert await page.locator(".portal-chips").count() == 1
    await context.close()
