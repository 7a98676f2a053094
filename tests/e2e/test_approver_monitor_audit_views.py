"""In a real browser, with axe-core on each state (issue 12): the head reads the cases, measures
and flag changes on the queue, approves one request through its confirmation page and another
from the target's detail page; the system admin reads the sync monitor in Japanese; an auditor's
search with no result says so."""
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.services import target_register

from ..conftest import intake_payload


def _register(counter):
    return target_register(actor=counter, data=parse_intake(intake_payload(), today=timezone.localdate()))


def test_queue_confirmation_detail_monitor_and_empty_audit_search(live_db, live_server, page, sign_in, counter,
                                                                   approver, sysadmin, auditor):
    first, first_request = _register(counter)
    second, second_request = _register(counter)
    install_axe(page.context)

    sign_in(approver)
    page.goto(f"{live_server.url}/flags/approvals/")
    card = page.locator(f"#request-{first_request.pk}")
    expect(card).to_contain_text("承認後の類型：②-I")
    expect(card).to_contain_text("自治体中間サーバーでの変更：自動応答不可フラグを設定、不開示該当フラグを設定")
    assert_no_axe_violations(page)
    card.get_by_role("link", name="内容を確認して承認する").click()
    expect(page.get_by_role("heading", level=2, name="承認すると、次のとおり変わります")).to_be_visible()
    expect(page.locator("main")).to_contain_text("自動応答不可フラグを設定")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で承認する").click()
    expect(page.get_by_role("status")).to_contain_text("承認しました")
    expect(page.locator(f"#request-{first_request.pk}")).to_have_count(0)
    assert_no_axe_violations(page)

    page.goto(f"{live_server.url}/targets/{second.pk}/")
    page.get_by_role("link", name="設定の申請の内容を確認して承認・却下する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"設定対象者 No.{second.pk}")
    page.get_by_role("button", name="却下する").click()  # no reason: the error stays on this page
    expect(page.locator("#reason-error")).to_contain_text("却下の理由を入力してください")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この内容で承認する").click()
    expect(page.get_by_role("status")).to_contain_text("承認しました")

    sign_in(sysadmin)
    page.goto(f"{live_server.url}{reverse('intermediary:monitor')}")
    expect(page.locator("#channel-web-service")).to_contain_text("ウェブサービス")
    expect(page.locator("#auto-refresh")).to_contain_text("秒ごとに自動で更新")
    expect(page.locator("#oldest-pending")).to_contain_text("経過")
    expect(page.locator("#oldest-pending")).not_to_contain_text("0:00")
    assert_no_axe_violations(page)

    sign_in(auditor)
    page.goto(f"{live_server.url}{reverse('audit:events')}?action=nothing.matches")
    expect(page.locator("main")).to_contain_text("条件に該当するイベントはありません（0件）")
    assert_no_axe_violations(page)
