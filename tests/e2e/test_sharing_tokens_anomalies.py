"""In a real browser, with axe-core on each state: the owner's head sees another department's
registration of its person as a reminder and a task, grants access in one click, and the
target page lists the grant (issue 11, ADR 0025); a system admin's token list (issue 10 item 6);
the auditors' anomaly page with its new sections (issue 10 items 1, 5, 7)."""
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import api_token_issue
from tests.conftest import intake_payload
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims.intake import parse_intake
from victims.services import registration_submit, target_register


def test_a_duplicate_becomes_a_reminder_and_a_one_click_grant(live_db, live_server, page, sign_in, counter,
                                                              approver, nonlinkage_counter):
    target, _ = target_register(actor=counter, data=parse_intake(intake_payload(), today=timezone.localdate()))
    registration_submit(actor=nonlinkage_counter, payload=intake_payload(atena_no=target.atena_no),
                        today=timezone.localdate())
    install_axe(page.context)
    sign_in(approver)
    expect(page.locator("table.reminders")).to_contain_text(f"設定対象者 No.{target.pk}")
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/integration/review-tasks/")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="この所属に閲覧を許可する").click()
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    expect(page.locator("#grants")).to_contain_text(nonlinkage_counter.department.name)
    assert_no_axe_violations(page)


def test_the_token_list_and_the_anomaly_page(live_db, live_server, page, sign_in, counter, sysadmin, auditor):
    api_token_issue(actor=None, staff=counter)
    install_axe(page.context)
    sign_in(sysadmin)
    page.goto(f"{live_server.url}/api-tokens/")
    expect(page.locator("main")).to_contain_text(counter.username)
    assert_no_axe_violations(page)
    sign_in(auditor)
    today = timezone.localdate().isoformat()
    page.goto(f"{live_server.url}/audit/anomalies/?start={today}&end={today}")
    expect(page.locator("main")).to_contain_text("既に設定対象者である方を1日に多数登録した職員")
    expect(page.locator("main")).to_contain_text("パスワードの総当たり")
    assert_no_axe_violations(page)
