"""In a real browser, with axe: a record that has grown long (issue 14). The target's page shows
the newest requests, notices and amendments with 「新しいN件を表示しています（全M件）」, and an
approver's home page the oldest reminders with 「期限の古いN件…（全M件）」 and the link to the
worklist's filter. The limits are lowered so that a few rows make the record long."""
import re

from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import department_create
from config import views as config_views
from tests.e2e.axe import assert_no_axe_violations, install_axe
from victims import views
from victims.services import amendment_request, change_request_approve


def test_the_newest_of_a_long_record_and_the_oldest_reminders(live_db, live_server, page, sign_in, counter,
                                                               approver, register, settings, monkeypatch):
    for code in ("kenko", "kaigo"):  # with zeimu: three departments told of the set
        department_create(actor=None, code=code, name=f"{code}課", does_linkage=True)
    target, set_request = register(counter)
    change_request_approve(actor=approver, change_request_id=set_request.pk)
    for kana in ("ヤマダ　ハナ", "ヤマダ　ハナエ"):
        amended = amendment_request(actor=counter, target_id=target.pk, today=timezone.localdate(),
                                    payload={"reason": "カナの誤記", "personal": {"name_kana": kana}})
        change_request_approve(actor=approver, change_request_id=amended.change_request.pk)
    monkeypatch.setattr(views, "DETAIL_HISTORY_LIMIT", 1)
    monkeypatch.setattr(views, "DETAIL_NOTICE_LIMIT", 2)
    monkeypatch.setattr(views, "DETAIL_AMENDMENT_LIMIT", 1)
    install_axe(page.context)

    sign_in(counter)
    page.goto(f"{live_server.url}/targets/{target.pk}/")
    expect(page.locator("#notice-receipts")).to_contain_text("新しい2件を表示しています（全3件）")
    expect(page.locator("#amendments")).to_contain_text("新しい1件を表示しています（全2件）")
    expect(page.get_by_text("新しい1件を表示しています（全3件）")).to_be_visible()  # the requests
    assert_no_axe_violations(page)

    # Two registrations awaiting the head, due at once: two reminders, one shown.
    settings.REMINDER_APPROVAL_OVERDUE_DAYS = 0
    monkeypatch.setattr(config_views, "HOME_REMINDER_MAX", 1)
    register(counter)
    register(counter)
    sign_in(approver)
    expect(page.get_by_text("期限の古い1件を表示しています（全2件）")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="期限の来た確認事項がある対象者の一覧").click()
    expect(page).to_have_url(re.compile(r"/targets/worklist/\?reminders_due=1$"))
    assert_no_axe_violations(page)
