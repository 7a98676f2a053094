"""A person protected for years (issue 14): the detail page shows the newest requests, notices
and amendments only, says how many there are in all, and the amendment-history event names the
amendments shown. At 500 decided requests the page was 338 KB: every notice (one per linkage
department and decision) and every amendment's before/after were listed."""
import re

import pytest
from django.utils import timezone

from accounts.services import department_create
from audit.models import AuditEvent
from victims import views
from victims.models import Amendment
from victims.services import amendment_request, change_request_approve

pytestmark = pytest.mark.django_db


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    assert found, section_id
    return found.group(1)


def test_the_detail_page_shows_the_newest_of_a_long_record(login, counter, approver, register, monkeypatch):
    for code in ("kenko", "kaigo", "gakumu"):  # with zeimu: four departments told of each decision
        department_create(actor=None, code=code, name=f"{code}課", does_linkage=True)
    target, set_request = register(counter)
    change_request_approve(actor=approver, change_request_id=set_request.pk)
    for kana in ("ヤマダ　ハナ", "ヤマダ　ハナエ", "ヤマダ　ハナミ"):
        amended = amendment_request(actor=counter, target_id=target.pk, today=timezone.localdate(),
                                    payload={"reason": "カナの誤記", "personal": {"name_kana": kana}})
        change_request_approve(actor=approver, change_request_id=amended.change_request.pk)
    monkeypatch.setattr(views, "DETAIL_HISTORY_LIMIT", 3)
    monkeypatch.setattr(views, "DETAIL_NOTICE_LIMIT", 2, raising=False)  # absent before the fix
    monkeypatch.setattr(views, "DETAIL_AMENDMENT_LIMIT", 2, raising=False)

    html = login(counter).get(f"/targets/{target.pk}/").content.decode()

    notices = section(html, "notice-receipts")
    assert notices.count("<tr><td>") == 2 and "新しい2件を表示しています（全4件）" in notices
    amendments = section(html, "amendments")
    assert amendments.count('<div class="amendment">') == 2 and "新しい2件を表示しています（全3件）" in amendments
    assert "新しい3件を表示しています（全4件）" in html  # the requests: the set and three amendments
    newest_two = list(Amendment.objects.filter(target=target).order_by("-id").values_list("pk", flat=True)[:2])
    event = AuditEvent.objects.filter(action="amendment.history_read", target_id=target.pk).latest("id")
    assert event.detail["amendment_ids"] == newest_two and event.detail["total"] == 3


def test_a_short_record_is_shown_whole(login, counter, approver, register):
    target, set_request = register(counter)
    change_request_approve(actor=approver, change_request_id=set_request.pk)
    html = login(counter).get(f"/targets/{target.pk}/").content.decode()
    assert "新しい" not in section(html, "notice-receipts") and section(html, "notice-receipts").count("<tr><td>") == 1
