"""The linkage home page's notices with 既読, the owner's view per department, overdue ones (issue 11)."""
import datetime

import pytest
import time_machine
from django.utils import timezone

from victims import services
from victims.models import Notice

pytestmark = pytest.mark.django_db

ACK_BUTTON = "確認しました（既読にする）"


def _approved(register, counter, approver):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    return target


def test_home_shows_the_set_notice_with_a_button_and_then_as_acknowledged(login, register, counter, approver,
                                                                           other_counter):
    target = _approved(register, counter, approver)
    client = login(other_counter)
    html = client.get("/").content.decode()
    assert target.atena_no in html and "山田　花子" in html
    assert "設定対象者になりました" in html and "宛先ファイル" in html
    assert ACK_BUTTON in html and "csrfmiddlewaretoken" in html
    notice = Notice.objects.get()
    resp = client.post(f"/targets/notices/{notice.pk}/acknowledge/")
    assert resp.status_code == 302 and resp["Location"] == "/"
    html = client.get("/").content.decode()
    assert ACK_BUTTON not in html
    assert 'class="acknowledged"' in html and "確認済み" in html and other_counter.username in html


def test_a_get_does_not_acknowledge_and_another_department_gets_404(login, register, counter, approver, approver2,
                                                                    other_counter):
    _approved(register, counter, approver)
    notice = Notice.objects.get()
    assert login(other_counter).get(f"/targets/notices/{notice.pk}/acknowledge/").status_code == 405
    assert login(approver2).post(f"/targets/notices/{notice.pk}/acknowledge/").status_code == 404
    notice.refresh_from_db()
    assert notice.acknowledged_at is None


def test_the_owner_sees_which_departments_acknowledged_and_when(login, register, counter, approver, other_counter,
                                                                make_staff):
    target = _approved(register, counter, approver)
    page = login(counter).get(f"/targets/{target.pk}/").content.decode()
    assert "他所属への通知と確認状況" in page and "税務課" in page and "未確認" in page
    services.notice_acknowledge(actor=other_counter, notice_id=Notice.objects.get().pk)
    page = login(counter).get(f"/targets/{target.pk}/").content.decode()
    acknowledged_at = timezone.localtime(Notice.objects.get().acknowledged_at)
    assert f"{acknowledged_at:%Y年}{acknowledged_at.month}月{acknowledged_at.day}日" in page.split("他所属への通知")[1]


def test_a_granted_department_does_not_see_the_acknowledgements(login, register, counter, approver, make_staff):
    target = _approved(register, counter, approver)
    services.target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    page = login(make_staff("zeimu9", "zeimu", "counter")).get(f"/targets/{target.pk}/").content.decode()
    assert "他所属への通知と確認状況" not in page


def test_overdue_notices_are_flagged_for_the_recipient_and_listed_for_auditors(login, register, counter, approver,
                                                                               other_counter, auditor, settings):
    settings.NOTICE_ACK_DAYS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        target = _approved(register, counter, approver)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        assert "確認期限を過ぎた" not in login(other_counter).get("/").content.decode()
        assert f"No.{target.pk}" not in login(auditor).get("/audit/notices-overdue/").content.decode()
    with time_machine.travel(start + datetime.timedelta(days=4), tick=False):
        home = login(other_counter).get("/").content.decode()
        assert "確認期限を過ぎた通知が 1 件あります" in home
        audit_page = login(auditor).get("/audit/notices-overdue/").content.decode()
        assert "税務課" in audit_page and f"No.{target.pk}" in audit_page
        assert target.atena_no not in audit_page and "山田" not in audit_page
        assert "未確認の通知" in login(auditor).get("/").content.decode()
