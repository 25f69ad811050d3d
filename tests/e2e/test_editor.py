"""A clerk claims a catalog entry, completes its elements in the editor and submits the claim."""

import re


async def _fill_missing(page, element_id: str) -> None:
    """Fill one required element the editor lists as missing, whatever kind it is."""
    holder = page.locator(f"#{element_id}")
    classes = await holder.get_attribute("class") or ""
    if "rows-element" in classes:
        # A table: add a row in place and fill its text fields.
        name = element_id.removeprefix("el-")
        await holder.locator("button.row-add").click()
        first = page.locator(f"[id^='{element_id}-0-']").first
        await first.wait_for()
        row = page.locator("tr", has=first)
        for field in await row.locator("input[type=text], textarea").all():
            await field.fill(f"示例{name}")
    elif "field-group" in classes:
        for field in await holder.locator("input[type=number]").all():
            await field.fill("5")
        for field in await holder.locator("input[type=text], textarea").all():
            await field.fill("示例")
    elif "field-choices" in classes:
        await holder.locator("input[type=checkbox]").first.check()
    else:
        tag = await holder.evaluate("e => e.tagName")
        if tag == "SELECT":
            await holder.select_option(index=1)
        else:
            await holder.fill("示例")


async def test_clerk_claims_completes_the_elements_in_the_editor_and_submits(page, server, login):
    dialogs = []

    async def on_dialog(dialog):
        dialogs.append(dialog.type)
        await dialog.dismiss()  # "stay on the page"

    page.on("dialog", on_dialog)
    await login(page, "jinchang", "clerk")

    # 认领 the first entry the agency has not taken up yet.
    await page.goto(f"{server}/t/jinchang/claims")
    await page.locator("table tbody tr").first.get_by_role("button", name="认领").click()
    await page.wait_for_url(re.compile(r".*/items/\d+$"))
    item_url = page.url
    name = await page.locator("h1").inner_text()

    await page.get_by_role("link", name="编辑草稿").click()
    await page.wait_for_url(f"{item_url}/edit")
    assert await page.locator("h1").inner_text() == f"编辑草稿:{name}"
    missing = page.locator(".missing-list a")
    titles = await missing.all_inner_texts()
    assert titles, "a freshly claimed item lacks some required elements"
    targets = [(await a.get_attribute("href")).lstrip("#") for a in await missing.all()]

    # Rows are added in place: the page is not reloaded.
    await page.evaluate("window.__marker = 'same page'")
    before = await page.locator("[id^='el-materials-'][id$='-name']").count()
    await page.get_by_role("button", name="新增一行(申请材料)").click()
    new_name = page.locator(f"#el-materials-{before}-name")
    await new_name.wait_for()
    assert await page.evaluate("window.__marker") == "same page"
    # The new row's first field has the focus, so the clerk types straight on.
    assert await page.evaluate("document.activeElement.id") == f"el-materials-{before}-name"
    await page.keyboard.type("经办人身份证")
    await page.get_by_label(f"份数(第{before + 1}行)").fill("2")

    for target in targets:
        await _fill_missing(page, target)
    # What the jurisdiction's quality checks ask before a claim may be submitted:
    # where each material comes from, and no visit for a 全程网办 item.
    await page.locator(f"#el-materials-{before}-source").select_option("applicant")
    await page.locator("#el-online_depth").select_option("IV")
    await page.locator("#el-visits").fill("0")
    assert await page.evaluate("window.__marker") == "same page"

    # Leaving now would lose the input: the browser asks first (and we stay).
    await page.get_by_role("link", name="返回事项(不保存)").click()
    await page.wait_for_timeout(300)
    assert "beforeunload" in dialogs
    assert page.url == f"{item_url}/edit"

    # Saving clears the warning and lands on the item page.
    dialogs.clear()
    await page.get_by_role("button", name="保存草稿").click()
    await page.wait_for_url(f"{item_url}?done=saved")
    assert dialogs == []
    await page.get_by_text("草稿已保存").wait_for()
    assert await page.get_by_text("经办人身份证").count() >= 1

    # Everything required is there now: the claim can be submitted.
    await page.get_by_text("提交调整申请").click()
    await page.get_by_label("调整类型").select_option(label="认领")
    await page.get_by_label("调整原因(必填)").fill("认领省级下发事项,已完善要素")
    await page.get_by_role("button", name="提交申请").click()
    await page.wait_for_url(re.compile(r".*/changes/\d+\?done=submit"))
    await page.get_by_text("调整申请已提交").wait_for()
    assert "认领申请" in await page.locator("h1").inner_text()
