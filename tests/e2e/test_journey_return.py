"""A return with a reason and a resubmission, in the browser: the agency's
reviewer sends a clerk's amendment back, the clerk reads why on the home page,
fixes the draft and resubmits; the request starts the chain again, and the
item's history keeps the whole exchange.
"""

import re

import journey_kit as kit

SLUG = "jinchang"
#: A published item of the demo clerk's agency that no other browser test adjusts.
ITEM = "政府投资项目审批(项目建议书、可行性研究报告、初步设计)"
QUESTION = "项目建议书需要几份纸质材料?"
REASON = "常见问题的答复未写明份数,请补充后重新提交"


async def test_returned_with_a_reason_then_resubmitted(browser, server):
    # The clerk adds a question to the FAQ and submits the amendment (变更).
    context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")
    await clerk.goto(f"{server}/t/{SLUG}/items?q=政府投资项目审批")
    await clerk.get_by_role("link", name=ITEM, exact=True).click()
    await clerk.wait_for_url(re.compile(r".*/items/\d+$"))
    item_path = kit.path_of(clerk.url)
    await clerk.get_by_role("link", name="编辑草稿").click()
    row = await kit.add_row(
        clerk, "faq", "常见问题", {"question": QUESTION, "answer": "按申报要求提交。"}
    )
    await clerk.get_by_role("button", name="保存草稿").click()
    await clerk.wait_for_url(f"{server}{item_path}?done=saved")
    change_path = await kit.submit_change(clerk, "变更", "补充常见问题")
    await context.close()

    # The reviewer returns it; a blank reason is refused, in Chinese, at the field.
    context, reviewer = await kit.signed_in(browser, server, SLUG, "reviewer")
    await reviewer.goto(f"{server}/t/{SLUG}/reviews")
    await reviewer.locator(f"a[href='{change_path}']").click()
    await reviewer.get_by_label("退回原因(必填)").fill("   ")
    await reviewer.get_by_role("button", name="退回申请人").click()
    error = reviewer.locator("#return-reason-error")
    await error.wait_for()
    assert await error.inner_text() == "请填写退回原因"
    assert await reviewer.get_by_label("退回原因(必填)").get_attribute("aria-invalid") == "true"
    await reviewer.get_by_label("退回原因(必填)").fill(REASON)
    await reviewer.get_by_role("button", name="退回申请人").click()
    await reviewer.get_by_text("已退回申请人").first.wait_for()
    await context.close()

    # The clerk's home page lists it under 被退回; the request says why.
    context, clerk = await kit.signed_in(browser, server, SLUG, "clerk")
    returned = clerk.locator("#returned")
    assert ITEM in await returned.inner_text()
    await returned.locator(f"a[href='{change_path}']").click()
    await clerk.wait_for_url(f"{server}{change_path}")
    assert REASON in await clerk.locator("#decisions").inner_text()
    assert "已退回" in await clerk.locator("hgroup").inner_text()

    # Fix the draft as asked, then resubmit with a note.
    await clerk.locator(".your-turn").get_by_role("link", name="编辑草稿").click()
    await clerk.wait_for_url(f"{server}{item_path}/edit")
    await clerk.locator(f"#el-faq-{row}-answer").fill("纸质材料一式两份,另附电子版。")
    await clerk.get_by_role("button", name="保存草稿").click()
    await clerk.wait_for_url(f"{server}{item_path}?done=saved")
    await clerk.goto(f"{server}{change_path}")
    await clerk.get_by_label("修改说明(可选)").fill("已写明材料份数")
    await clerk.get_by_role("button", name="重新提交").click()
    await clerk.get_by_text("已重新提交,从第一步重新审核").first.wait_for()
    active = await clerk.locator("#chain [aria-current=step] .step-head").inner_text()
    assert "实施机构审核员" in active  # back at the first step
    await context.close()

    # The reviewer has it in the queue again; the history keeps the exchange.
    context, reviewer = await kit.signed_in(browser, server, SLUG, "reviewer")
    await reviewer.goto(f"{server}/t/{SLUG}/reviews")
    assert await reviewer.locator(f"a[href='{change_path}']").count() == 1
    await reviewer.goto(f"{server}{item_path}")
    await reviewer.get_by_role("link", name="查看完整历史记录").click()
    await reviewer.wait_for_url(f"{server}{item_path}/history")
    decisions = reviewer.locator("#requests tr[class^=decision-]")
    rows = [" ".join((await d.inner_text()).split()) for d in await decisions.all()]
    assert [r for r in rows if "退回" in r and REASON in r], rows
    assert [r for r in rows if "重新提交" in r and "已写明材料份数" in r], rows
    await kit.screenshot(reviewer, "journey-2-returned-and-resubmitted-history")
    await context.close()
