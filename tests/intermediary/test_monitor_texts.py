"""The sync monitor in Japanese (issue 12): flag kinds and error codes with what to do, ages as
「9秒」「3時間12分」, the windows of the channel in use only, auto-refresh, recently reflected."""
import datetime

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from core.templatetags.durations import age_ja
from intermediary.clock import now as clock_now
from intermediary.models import Batch, Operation
from victims import services as flag_services


@pytest.mark.parametrize(("seconds", "shown"), [
    (9.720832, "9秒"), (0, "0秒"), (60, "1分"), (245, "4分5秒"), (3 * 3600 + 12 * 60 + 5, "3時間12分"),
    (7200, "2時間"), (2 * 86400 + 3 * 3600, "2日3時間"), (86400, "1日"),
])
def test_ages_in_japanese(seconds, shown):
    assert age_ja(datetime.timedelta(seconds=seconds)) == shown
    assert age_ja(None) == ""


@pytest.fixture
def approved(counter, approver, register):
    target, cr = register(counter)
    flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
    return target


def monitor(client, sysadmin) -> str:
    client.force_login(sysadmin)
    return client.get(reverse("intermediary:monitor")).content.decode()


def test_flag_kinds_and_errors_in_japanese_with_what_to_do(client, sysadmin, approved):
    Operation.objects.filter(unit_key=approved.atena_no).update(status="dead", last_error_code="HTTP503")
    html = monitor(client, sysadmin)
    problems = html.split('id="problems"')[1].split("</section>")[0]
    assert "NO_AUTO_RESPONSE" not in problems and "自動応答不可フラグ" in problems and "不開示該当フラグ" in problems
    assert "中間サーバー利用不可（HTTP503）" in problems and "復旧後は自動で再送します" in problems


def test_oldest_pending_age_in_japanese(client, sysadmin, approved):
    created = Operation.objects.filter(unit_key=approved.atena_no).first().created_at
    with time_machine.travel(created + datetime.timedelta(hours=3, minutes=12, seconds=9.5), tick=False):
        html = monitor(client, sysadmin)
    assert '<strong id="oldest-pending">3時間12分経過</strong>' in html


def test_windows_only_for_the_xml_channel(client, sysadmin, db, settings):
    html = monitor(client, sysadmin)
    assert 'id="channel-web-service"' in html and "next-NONDISCLOSURE" not in html
    settings.INTERMEDIARY_CHANNEL = "xml_batch"
    html = monitor(client, sysadmin)
    assert "次の反映時刻" in html and 'id="next-NONDISCLOSURE"' in html and 'id="next-NO_AUTO_RESPONSE"' in html
    assert 'id="channel-web-service"' not in html


def test_the_monitor_refreshes_itself_with_a_static_script(client, sysadmin, db):
    html = monitor(client, sysadmin)
    assert 'id="auto-refresh" data-refresh-seconds="30"' in html
    assert "js/auto_refresh.js" in html and "<script>" not in html  # CSP: no inline script


def test_recently_reflected_operations_are_listed_and_their_people_named(client, sysadmin, approved):
    op = Operation.objects.filter(unit_key=approved.atena_no).first()
    Operation.objects.filter(pk=op.pk).update(status="reflected",
                                              reflected_at=op.created_at + datetime.timedelta(seconds=9))
    html = monitor(client, sysadmin)
    row = html.split(f'id="reflected-{op.pk}"')[1].split("</tr>")[0]
    assert approved.atena_no in row and "9秒" in row
    assert "山田" not in html
    event = AuditEvent.objects.filter(action="intermediary.monitor_view").latest("pk")
    assert approved.pk in event.detail["target_ids"]


def test_the_batch_page_names_flag_and_error_in_japanese(client, sysadmin, approved):
    op = Operation.objects.filter(unit_key=approved.atena_no, flag_kind="NONDISCLOSURE").get()
    batch = Batch.objects.create(flag_kind=op.flag_kind, window_at=clock_now(), name="FLAG_Y.xml",
                                 reception_number="2", created_at=clock_now(), status="resulted")
    Operation.objects.filter(pk=op.pk).update(batch=batch, record_no=1, status="failed", last_error_code="E010")
    client.force_login(sysadmin)
    html = client.get(reverse("intermediary:batch", kwargs={"pk": batch.pk})).content.decode()
    assert "<td>不開示該当フラグ</td>" in html and "レコードの内容に誤り（E010）" in html
