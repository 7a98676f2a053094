"""In a real browser: 税務課 sees the set notice of 子ども家庭支援課's new target on its home
page, presses 「確認しました（既読にする）」, and the owner's target page shows when (ADR 0027)."""
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import intake_payload
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.services import change_request_approve, target_register


def test_a_linkage_department_acknowledges_a_set_notice(live_db, live_server, page, sign_in, counter, approver,
                                                        other_counter):
    target, request = target_register(actor=counter,
                                      data=parse_intake(intake_payload(), today=timezone.localdate()))
    change_request_approve(actor=approver, change_request_id=request.pk)
    install_axe(page.context)
    sign_in(other_counter)
    notices = page.locator("#notices")
    expect(notices).to_contain_text(target.atena_no)
    expect(notices).to_contain_text("設定対象者になりました")
    assert_no_axe_violations(page)
    notices.get_by_role("button", name="確認しました（既読にする）").click()
    expect(page.get_by_role("status")).to_contain_text("お知らせを確認済みにしました")
    expect(page.locator("table.acknowledged")).to_contain_text(target.atena_no)
    expect(notices.get_by_role("button", name="確認しました（既読にする）")).to_have_count(0)
    assert_no_axe_violations(page)
    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    expect(page.locator("#notice-receipts")).to_contain_text("税務課")
    expect(page.locator("#notice-receipts")).to_contain_text("確認済み")
    assert_no_axe_violations(page)
