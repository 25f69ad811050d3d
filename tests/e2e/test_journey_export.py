"""A long job in the browser: the item list's current filter is exported as a job,
its run page's <progress> bar updates itself until the result, and the download
link gives the workbook of exactly the filtered, published items."""

import io
import re

import journey_kit as kit
import openpyxl

SLUG = "jinchang"
TOTAL = re.compile(r"共\s*(\d+)\s*项")

# Records each state of the run's progress bar as htmx swaps the block in.
WATCH_PROGRESS = """() => {
    window.__progress = [];
    const note = () => {
        const bar = document.querySelector('#job-run progress');
        const status = document.querySelector('#job-run').dataset.status;
        window.__progress.push({status, value: bar && bar.getAttribute('value'),
                                max: bar && bar.getAttribute('max')});
    };
    note();
    new MutationObserver(note).observe(document.querySelector('main'), {childList: true, subtree: true});
}"""


async def test_export_of_the_current_filter_runs_as_a_job_to_its_download(browser, server):
    context, page = await kit.signed_in(browser, server, SLUG, "data")
    await page.goto(f"{server}/t/{SLUG}/items")
    everything = int(TOTAL.search(await page.locator("#results .summary").inner_text())[1])
    await page.get_by_label("事项类型").select_option(label="行政许可")
    await page.wait_for_function(
        f"!document.querySelector('#results .summary').innerText.includes('共 {everything} 项')"
    )
    listed = int(TOTAL.search(await page.locator("#results .summary").inner_text())[1])
    assert 0 < listed < everything

    # The link carries the filter now in the list (htmx replaced it with the results).
    await page.get_by_role("link", name="导出当前筛选").click()
    await page.wait_for_url(re.compile(r"/exports\?.*item_type=licensing"))
    assert await page.get_by_label("事项类型").input_value() == "licensing"
    option = page.locator("label", has=page.locator("input[name=list][value=items]"))
    to_export = int(re.search(r"按当前条件\s*(\d+)\s*项", await option.inner_text())[1])
    assert 0 < to_export <= listed, "published ones of the listed items"
    await kit.assert_accessible(page, "导出页面")
    await page.get_by_role("button", name="开始导出").click()
    await page.wait_for_url(re.compile(r"/t/jinchang/jobs/\d+$"))
    await page.evaluate(WATCH_PROGRESS)

    # The bar updates itself (htmx polls the run) until the run is done.
    download_link = page.get_by_role("link", name=re.compile("下载结果"))
    await download_link.wait_for(timeout=60_000)
    seen = await page.evaluate("window.__progress")
    final = seen[-1]
    assert final["status"] == "done", seen
    assert final["value"] == final["max"] == str(to_export), seen
    values = [int(s["value"]) for s in seen if s["value"] is not None and s["status"] != "queued"]
    assert values == sorted(values), f"the bar only moves forward: {seen}"
    if seen[0]["status"] != "done":
        assert len(seen) > 1, "the page updated itself without a reload"
    assert "已完成" in await page.locator("#job-run").inner_text()
    assert f"共导出 {to_export} 项" in await page.locator("#job-run").inner_text()
    await kit.assert_accessible(page, "任务页面")

    async with page.expect_download() as caught:
        await download_link.click()
    download = await caught.value
    assert download.suggested_filename.endswith(".xlsx")
    assert "实施清单" in download.suggested_filename
    with open(await download.path(), "rb") as f:
        book = openpyxl.load_workbook(io.BytesIO(f.read()), read_only=True)
    rows = list(book["实施清单"].values)
    header = rows[0]
    assert header[:4] == ("序号", "事项名称", "基本编码", "实施编码")
    types = {dict(zip(header, row, strict=True))["事项类型"] for row in rows[1:]}
    assert len(rows) - 1 == to_export and types == {"行政许可"}
    await kit.screenshot(page, "journey-5-export-job-done")
    await context.close()
