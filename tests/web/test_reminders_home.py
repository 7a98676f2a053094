"""The reminders on the home page and the daily job that alerts the approvers (ADR 0026)."""
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from config import views as config_views
from tests.victims.test_reminders import at
from victims.models import ReminderRecord
from victims.selectors import notices_for, overdue_notice_count
from victims.tasks import daily_reminders

pytestmark = pytest.mark.django_db


def test_job_records_once_alerts_overdue_once_and_home_highlights_them(login, counter, approver, register,
                                                                      settings):
    settings.REMINDER_OVERDUE_AFTER_DAYS = 7
    settings.REMINDER_APPROVAL_OVERDUE_DAYS = 3
    with time_machine.travel(at("2026-01-10"), tick=False):
        target, _ = register(counter)  # pending: an approval reminder due 2026-01-13
    with time_machine.travel(at("2026-01-13", hour=7), tick=False):
        assert daily_reminders() == {"seen": 1, "alerted": 0}
        assert daily_reminders() == {"seen": 0, "alerted": 0}  # twice: nothing more
        first_seen = ReminderRecord.objects.get().first_seen_at
        page = login(approver).get("/").content.decode()
    assert "承認待ちの申請が滞留しています" in page and f"/targets/{target.pk}/" in page
    assert 'class="overdue"' not in page
    with time_machine.travel(at("2026-01-19", hour=7), tick=False):
        assert daily_reminders()["alerted"] == 0  # six days: not yet overdue
    with time_machine.travel(at("2026-01-20", hour=7), tick=False):
        assert daily_reminders() == {"seen": 0, "alerted": 1}
        assert daily_reminders() == {"seen": 0, "alerted": 0}
        approver_page = login(approver).get("/").content.decode()
        counter_page = login(counter).get("/").content.decode()
    record = ReminderRecord.objects.get()
    assert record.first_seen_at == first_seen and record.alerted_at is not None
    alerts = AuditEvent.objects.filter(action="reminder.alert")
    assert alerts.count() == 1 and alerts.get().detail["target_ids"] == [target.pk]
    assert re.search(r'<tr class="overdue"><td>2026年1月13日（期限超過）', approver_page)
    assert "承認待ちの申請が滞留しています" not in counter_page  # the counters' list has no approvals
    assert "期限の来た確認事項はありません。" in counter_page


def test_home_page_shows_the_counters_reminders_in_japanese(login, counter, register):
    with time_machine.travel(at("2025-06-15"), tick=False):
        target, _ = register(counter, jumin_support={"active": True, "start": "2025-06-16", "end": "2026-06-15"})
    with time_machine.travel(at("2026-05-15"), tick=False):
        response = login(counter).get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "期限の来た確認事項（リマインダー）" in page and "2026年5月15日" in page
    assert "住基DV等支援措置の終了が近い" in page and f'href="/targets/{target.pk}/"' in page
    assert AuditEvent.objects.filter(action="reminder.list", detail__via="screen").exists()




def test_the_home_page_shows_the_oldest_reminders_and_counts_all(login, counter, approver, register, settings,
                                                                 monkeypatch):
    """51,000 people had 13,534 reminders: 1.2 MB and 3.5 s as one table (issue 14). The home
    page shows the oldest, says how many there are, points at the worklist's filter, counts
    every overdue one, and its event names the people shown."""
    settings.REMINDER_OVERDUE_AFTER_DAYS = 7
    settings.REMINDER_APPROVAL_OVERDUE_DAYS = 3
    monkeypatch.setattr(config_views, "HOME_REMINDER_MAX", 1, raising=False)  # absent before the fix
    with time_machine.travel(at("2026-01-10"), tick=False):
        first, _ = register(counter)
        second, _ = register(counter)
    with time_machine.travel(at("2026-01-20", hour=7), tick=False):
        assert daily_reminders()["alerted"] == 2
        page = login(approver).get("/").content.decode()
    assert page.count('<tr class="overdue">') == 1 and f'href="/targets/{first.pk}/"' in page
    assert f'href="/targets/{second.pk}/"' not in page
    assert "期限の古い1件を表示しています（全2件）" in page and "?reminders_due=1" in page
    assert "確認事項が 2件 あります" in page  # every overdue one, shown or not
    event = AuditEvent.objects.filter(action="reminder.list").latest("id")
    assert event.detail["count"] == 2 and event.detail["target_ids"] == [first.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the production database's plan")
def test_a_departments_unacknowledged_notices_are_read_from_their_index(counter, other_counter):
    """Over the years a department acknowledges millions of notices; its home page counts and
    lists the few it has not, from a partial index (issue 14)."""
    with CaptureQueriesContext(connection) as captured:
        overdue_notice_count(actor=other_counter)
        notices_for(actor=other_counter)
    reads = [q["sql"] for q in captured.captured_queries
             if 'FROM "flags_notice"' in q["sql"] and '"acknowledged_at" IS NULL' in q["sql"]]
    assert len(reads) == 2
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # an empty table is cheapest to scan
        for sql in reads:
            cur.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert "notice_unacknowledged" in plan, plan
