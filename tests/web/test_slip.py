"""決裁票 (ADR 0028): one printable slip per change request, with 和暦 and 西暦 dates, staff
display names, the resulting measures, 404 for another department, audited as a read."""
import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, Staff
from accounts.services import staff_create
from audit.models import AuditEvent
from core.wareki import wareki, wareki_and_seireki
from victims.services import (
    change_request_approve,
    change_request_reject,
    change_request_withdraw,
    registration_submit,
    release_request_create,
)

from ..conftest import PASSWORD, intake_payload

JST = datetime.timezone(datetime.timedelta(hours=9))


# --- 和暦 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "expected"), [
    (datetime.date(2019, 4, 30), "平成31年4月30日"),
    (datetime.date(2019, 5, 1), "令和元年5月1日"),
    (datetime.date(2020, 1, 1), "令和2年1月1日"),
    (datetime.date(2026, 12, 2), "令和8年12月2日"),
    (datetime.date(1989, 1, 8), "平成元年1月8日"),
    (datetime.date(1989, 1, 7), "昭和64年1月7日"),
])
def test_wareki_boundaries(day, expected):
    assert wareki(day) == expected


def test_wareki_with_seireki_and_datetime_in_japan_time():
    assert wareki_and_seireki(datetime.date(2026, 12, 2)) == "令和8年12月2日（2026年12月2日）"
    # 2019-04-30 15:30 UTC is already 1 May in Japan: the era follows the local date.
    moment = datetime.datetime(2019, 4, 30, 15, 30, tzinfo=datetime.UTC)
    assert wareki_and_seireki(moment) == "令和元年5月1日（2019年5月1日）"


def test_wareki_before_meiji_is_refused():
    with pytest.raises(ValueError):
        wareki(datetime.date(1868, 1, 1))


# --- display names ----------------------------------------------------------------------------

def test_staff_display_name_falls_back_to_username(departments):
    named = staff_create(actor=None, username="s1", department_code="kodomo", role=Role.COUNTER,
                         password=PASSWORD, display_name="窓口　一郎")
    unnamed = staff_create(actor=None, username="s2", department_code="kodomo", role=Role.COUNTER,
                           password=PASSWORD)
    assert named.display_name == "窓口　一郎" and named.shown_name == "窓口　一郎"
    assert unnamed.shown_name == "s2"
    # Updating without a display name keeps the one already recorded.
    again = staff_create(actor=None, username="s1", department_code="kodomo", role=Role.APPROVER, password=PASSWORD)
    assert again.display_name == "窓口　一郎"


def test_create_staff_command_and_seed_demo_fill_the_display_name(departments):
    call_command("create_staff", "--username", "c9", "--department", "kodomo", "--role", "counter",
                 "--password", "a-long-pass-123", "--display-name", "子ども　花子", stdout=io.StringIO())
    assert Staff.objects.get(username="c9").display_name == "子ども　花子"
    call_command("seed_demo", stdout=io.StringIO())
    assert not Staff.objects.filter(username__in=["counter1", "approver1", "approver2"], display_name="").exists()


# --- the slip ---------------------------------------------------------------------------------

@pytest.fixture
def named(make_staff):
    def do(staff, name):
        staff.display_name = name
        staff.save(update_fields=["display_name"])
        return staff
    return do


def text_of(response) -> str:
    """The slip's own text (not the page header, which shows the signed-in user)."""
    html = response.content.decode()
    article = re.search(r'<article class="slip".*?</article>', html, re.S)
    html = article.group(0) if article else html
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def test_set_slip_shows_municipality_department_names_dates_cases_and_measures(
        login, counter, approver2, register, named, settings):
    settings.MUNICIPALITY_NAME = "新宿区"
    named(counter, "窓口　一郎")
    named(approver2, "所属長　二郎")
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=JST), tick=False):
        target, cr = register(counter)
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=JST), tick=False):
        change_request_approve(actor=approver2, change_request_id=cr.pk, comment="確認済み")
    response = login(counter).get(f"/flags/requests/{cr.pk}/slip/")
    assert response.status_code == 200
    text = text_of(response)
    assert "決裁票" in text and "新宿区" in text and "子ども家庭支援課" in text
    assert "窓口　一郎" in text and "所属長　二郎" in text
    assert "counter1" not in text and "approver2" not in text
    assert "令和8年12月2日（2026年12月2日）" in text and "令和8年12月3日（2026年12月3日）" in text
    assert "設定" in text and "承認済み" in text and "②-I" in text
    assert "不開示該当フラグ：必要" in text and "自動応答不可フラグ：必要" in text
    assert "確認済み" in text
    html = response.content.decode()
    assert "stamp" in html and "印刷" in html and "js/print.js" in html
    # The title is what a browser proposes as the PDF's file name: no person in it.
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert f"kessai-{cr.pk}" in title and "山田" not in title


def test_release_slip_shows_the_released_case_reason_and_what_remains(
        login, counter, approver, approver2, register, named):
    named(approver, "承認　三郎")
    target, cr = register(counter, cases=[{"type": "2-I", "card_left": True},
                                          {"type": "1-I", "abuser_atena_no": "200000000000001"}])
    change_request_approve(actor=approver2, change_request_id=cr.pk)
    case_2_i = target.cases.get(case_type="2-I")
    release = release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=[case_2_i.pk],
                                     comment="本人が希望")
    text = text_of(login(approver).get(f"/flags/requests/{release.pk}/slip/"))
    assert "解除" in text and "承認待ち" in text
    assert "本人の申出（解除の希望）" in text and "本人が希望" in text
    assert "解除する類型 ②-I" in text
    # After the release only the ①-I case remains: no flag on the victim, the code for the abuser.
    assert "不開示該当フラグ：不要" in text and "自動応答不可フラグ：不要" in text
    assert "200000000000001" in text
    assert "承認　三郎" not in text  # not decided yet: the 承認者 box is empty


def test_withdrawal_slip_names_the_asker_and_the_head(login, counter, approver, approver2, register, named):
    named(approver, "取下　四郎")
    named(approver2, "所属長　二郎")
    target, cr = register(counter)
    change_request_withdraw(actor=approver, change_request_id=cr.pk, reason="誤登録")
    change_request_withdraw(actor=approver2, change_request_id=cr.pk, reason="")
    text = text_of(login(counter).get(f"/flags/requests/{cr.pk}/slip/"))
    assert "登録の取下げ" in text and "取下げ" in text and "誤登録" in text
    assert "取下　四郎" in text and "所属長　二郎" in text
    assert "措置なし" in text


def test_slip_of_another_department_is_404_and_audited(login, counter, other_counter, register):
    target, cr = register(counter)
    response = login(other_counter).get(f"/flags/requests/{cr.pk}/slip/")
    assert response.status_code == 404
    event = AuditEvent.objects.filter(action="change_request.slip", actor_id=other_counter.pk).get()
    assert event.outcome == "denied" and event.target_id is None


def test_reading_the_slip_is_audited_with_the_target_id(login, counter, register):
    target, cr = register(counter)
    login(counter).get(f"/flags/requests/{cr.pk}/slip/")
    event = AuditEvent.objects.filter(action="change_request.slip", actor_id=counter.pk).get()
    assert event.target_id == target.pk and event.detail["change_request_id"] == cr.pk
    assert "山田" not in str(event.detail)


def test_target_page_and_queue_link_to_the_slip_and_show_display_names(
        login, counter, approver, register, named):
    named(counter, "窓口　一郎")
    target, cr = register(counter)
    detail = login(counter).get(f"/targets/{target.pk}/").content.decode()
    assert f'href="/flags/requests/{cr.pk}/slip/"' in detail and "窓口　一郎" in detail
    queue = login(approver).get("/flags/approvals/").content.decode()
    assert f'href="/flags/requests/{cr.pk}/slip/"' in queue and "窓口　一郎" in queue


def test_rejected_slip_names_the_head_who_rejected_and_why(login, counter, approver, register, named):
    named(approver, "所属長　和子")
    target, cr = register(counter)
    change_request_reject(actor=approver, change_request_id=cr.pk, reason="イの事実が確認できない")
    text = text_of(login(counter).get(f"/flags/requests/{cr.pk}/slip/"))
    assert "却下" in text and "却下者 所属長　和子" in text and "却下日" in text
    assert "イの事実が確認できない" in text


def test_review_task_and_receipt_show_the_clerks_display_name(login, counter, other_counter, register, named):
    named(other_counter, "税務　三郎")
    target, cr = register(counter)
    receipt = registration_submit(actor=other_counter, payload=intake_payload(atena_no=target.atena_no),
                                  today=timezone.localdate())
    assert "税務　三郎" in login(other_counter).get(f"/targets/registrations/{receipt.pk}/").content.decode()
    assert "税務　三郎" in login(counter).get("/integration/review-tasks/").content.decode()
