"""A notice (ADR 0027) not acknowledged NOTICE_ACK_DAYS after it was sent is a reminder for
the recipient department (kind notice_unacknowledged), one per person, until acknowledged."""
import datetime

import pytest
import time_machine

from tests.conftest import VerifiedClient
from victims.reminders import department_reminders
from victims.services import change_request_approve, notice_acknowledge

from .test_registration_no_oracle import token_client

pytestmark = pytest.mark.django_db
JST = datetime.timezone(datetime.timedelta(hours=9))
SENT = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=JST)


def _due(department_id: int, days: int) -> list[tuple[str, int, str]]:
    until = (SENT + datetime.timedelta(days=days)).date()
    return [(r.kind, r.target_id, r.due_on.isoformat())
            for r in department_reminders(department_id, until=until, for_approvers=True)
            if r.kind == "notice_unacknowledged"]


@pytest.fixture
def notified(register, counter, approver, other_counter):
    """子ども家庭支援課's approved target: 税務課 (the other linkage department) got a notice."""
    with time_machine.travel(SENT, tick=False):
        target, cr = register(counter)
        change_request_approve(actor=approver, change_request_id=cr.pk)
    return target


def test_due_for_the_recipient_notice_ack_days_after_it_was_sent(notified, other_counter, counter, settings):
    assert settings.NOTICE_ACK_DAYS == 3
    zeimu = other_counter.department_id
    assert _due(zeimu, 2) == []
    assert _due(zeimu, 3) == [("notice_unacknowledged", notified.pk, "2026-06-04")]
    assert _due(counter.department_id, 30) == []  # the owner is not the recipient
    settings.NOTICE_ACK_DAYS = 5
    assert _due(zeimu, 4) == [] and _due(zeimu, 5) == [("notice_unacknowledged", notified.pk, "2026-06-06")]


def test_acknowledging_ends_it(notified, other_counter):
    notice_id = token_client(other_counter).get("/api/v1/notices/").json()["results"][0]["id"]
    with time_machine.travel(SENT + datetime.timedelta(days=4), tick=False):
        listed = token_client(other_counter).get("/api/v1/reminders/").json()
        assert [(r["kind"], r["target_id"]) for r in listed] == [("notice_unacknowledged", notified.pk)]
        notice_acknowledge(actor=other_counter, notice_id=notice_id)
        assert token_client(other_counter).get("/api/v1/reminders/").json() == []


def test_the_recipients_home_page_points_at_the_notices_not_the_record(notified, other_counter):
    web = VerifiedClient()
    web.force_login(other_counter)
    with time_machine.travel(SENT + datetime.timedelta(days=4), tick=False):
        page = web.get("/").content.decode()
    assert "他所属からのお知らせが未確認のままです" in page
    assert '<a href="#notices">お知らせ（下の一覧）</a>' in page
    assert f'href="/targets/{notified.pk}/"' not in page  # a record the recipient may not open
