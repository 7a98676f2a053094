"""In a real browser (issue 11): a clerk of 子ども家庭支援課 adds a ①-I case to an active target
on the amendment screens, its head approves it from the approval queue, and 税務課 acknowledges
the resulting 「設定内容の変更」 notice on its home page. axe-core on every state visited."""
from playwright.sync_api import expect

from flags.models import ChangeRequest
from intermediary.models import Operation
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.models import Notice, NoticeKind
from victims.services import change_request_approve

NEW_ABUSER = "230000000000009"


def test_a_clerk_amends_the_head_approves_and_another_department_acknowledges(
        live_db, live_server, page, sign_in, register, counter, approver, approver2, other_counter):
    target, request = register(counter)  # ②-I: both flags
    change_request_approve(actor=approver2, change_request_id=request.pk)
    install_axe(page.context)

    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    page.get_by_role("link", name="設定内容の変更を申請する（類型の追加・氏名等の訂正）").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("設定内容の変更")
    assert_no_axe_violations(page)
    # Submitted without a reason: the error is next to the field, nothing is requested.
    page.get_by_label("①-I（加害者の宛名番号が判明した等）").check()
    page.get_by_label("加害者の団体内統合宛名番号（①-I）").fill(NEW_ABUSER)
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.locator("#error-reason")).to_contain_text("変更の理由を入力してください")
    assert_no_axe_violations(page)
    page.get_by_label("変更の理由（必須）").fill("加害者の宛名番号が判明したため")
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.get_by_role("heading", name="承認後に必要となる措置")).to_be_visible()
    expect(page.locator("main")).to_contain_text(NEW_ABUSER)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で申請する").click()
    expect(page.get_by_role("status")).to_contain_text("設定内容の変更を申請しました")
    expect(page.locator("#amendments")).to_contain_text("承認待ちの設定内容の変更")
    assert_no_axe_violations(page)
    amendment = ChangeRequest.objects.get(target=target, action="amend")

    sign_in(approver)
    page.goto(f"{live_server.url}/flags/approvals/")
    card = page.locator(f"#request-{amendment.pk}")
    expect(card).to_contain_text("設定内容の変更の申請")
    assert_no_axe_violations(page)
    card.get_by_role("link", name="内容を確認して承認する").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で承認する").click()
    expect(page.locator(f"#request-{amendment.pk}")).to_have_count(0)
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    expect(page.locator("#amendments")).to_contain_text("承認済み")
    expect(page.locator("#amendments")).to_contain_text("追加した類型")
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/flags/requests/{amendment.pk}/slip/")
    expect(page.locator("article.slip")).to_contain_text("設定内容の変更")
    expect(page.locator("article.slip")).to_contain_text(NEW_ABUSER)
    assert_no_axe_violations(page)
    # Both flags were set already: the added ①-I sends nothing to the intermediate server.
    assert not Operation.objects.filter(change_request=amendment).exists()

    sign_in(other_counter)
    notices = page.locator("#notices")
    # The set notice of the registration, and the amend notice of the approved amendment.
    amend_row = notices.get_by_role("row").filter(has_text="設定内容が変更されました")
    expect(amend_row).to_contain_text(target.atena_no)
    expect(notices).not_to_contain_text(NEW_ABUSER)
    assert_no_axe_violations(page)
    amend_row.get_by_role("button", name="確認しました（既読にする）").click()
    expect(page.get_by_role("status")).to_contain_text("お知らせを確認済みにしました")
    assert_no_axe_violations(page)
    notice = Notice.objects.get(change_request=amendment)
    assert notice.kind == NoticeKind.AMEND and notice.acknowledged_by == other_counter
