"""A racing edit, in two browsers: the agency's clerk and its reviewer open the
same draft; the clerk saves first; the reviewer's save is refused in Chinese,
the reviewer's typing stays on the screen, and nothing of it is merged in.
"""

import re

import journey_kit as kit

SLUG = "jinchang"
#: A published item of the demo agency that no other browser test edits.
ITEM = "固定资产投资项目节能审查"
FIRST = "申请单位已取得项目备案或核准文件(先保存者)"
SECOND = "不得将项目拆分报审(后保存者)"
REFUSED = "该事项已被他人修改,您的保存未生效。请刷新页面,在最新内容上重新编辑。"


async def test_second_save_of_the_same_draft_is_refused_and_nothing_merged(browser, server):
    clerk_context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")
    reviewer_context, reviewer = await kit.signed_in(browser, server, SLUG, "reviewer")
    await clerk.goto(f"{server}/t/{SLUG}/items?q={ITEM}")
    await clerk.get_by_role("link", name=ITEM, exact=True).click()
    await clerk.wait_for_url(re.compile(r".*/items/\d+$"))
    item_path = kit.path_of(clerk.url)

    # Both open the editor on the same version.
    for page in (clerk, reviewer):
        await page.goto(f"{server}{item_path}/edit")
    await clerk.get_by_role("textbox", name="受理条件").fill(FIRST)
    await reviewer.get_by_role("textbox", name="禁止性要求").fill(SECOND)

    await clerk.get_by_role("button", name="保存草稿").click()
    await clerk.wait_for_url(f"{server}{item_path}?done=saved")

    await reviewer.get_by_role("button", name="保存草稿").click()
    conflict = reviewer.locator(".editor-conflict")
    await conflict.wait_for()
    assert REFUSED in await conflict.inner_text()
    assert reviewer.url == f"{server}{item_path}/edit"
    # What the reviewer typed is still there, not saved and not lost.
    assert await reviewer.get_by_role("textbox", name="禁止性要求").input_value() == SECOND
    await kit.screenshot(reviewer, "journey-3-racing-edit-refused")

    # The draft holds the first save only.
    await clerk.goto(f"{server}{item_path}?view=draft")
    draft = await clerk.locator("main").inner_text()
    assert FIRST in draft
    assert SECOND not in draft
    await clerk_context.close()
    await reviewer_context.close()
