"""The counts as of 12月1日 (ADR 0058): computed from the protection periods and the cases' own
start and end, not from today's status; by department, status and case type; screen, CSV and
xlsx from one table; audited; department staff see their row, auditors every department."""
import datetime

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent, Outcome
from tests.conftest import intake_payload
from tests.xlsx_reader import read_cells
from victims.annual_report import annual_report, as_of_moment, cases_protecting_at, latest_report_year
from victims.services import (
    change_request_approve,
    change_request_reject,
    registration_submit,
    release_request_create,
)

JST = datetime.timezone(datetime.timedelta(hours=9))
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10):
    return time_machine.travel(datetime.datetime(y, m, d, hh, tzinfo=JST), tick=False)


@pytest.fixture
def history(counter, approver, other_counter, other_approver, register):
    """A year of work in two departments, each step at its own date."""
    made = {}
    with at(2025, 6, 2):
        made["released_later"], cr = register(counter, atena_no="710000000000001")
    with at(2025, 7, 1):
        change_request_approve(actor=approver, change_request_id=cr.pk)
    with at(2025, 11, 20):  # registered before 1 December, approved after it: pending then
        made["pending_then"], cr2 = register(counter, atena_no="710000000000002",
                                             cases=[{"type": "2-I", "card_left": True},
                                                    {"type": "1-I", "abuser_atena_no": "719000000000001"}])
    with at(2025, 12, 5):
        change_request_approve(actor=approver, change_request_id=cr2.pk)
    with at(2025, 12, 1, 23):  # the evening of 1 December counts
        made["late_on_the_day"], _ = register(counter, atena_no="710000000000003")
    with at(2025, 12, 2, 0):
        made["after"], _ = register(counter, atena_no="710000000000004")
    with at(2025, 5, 1):
        made["rejected"], cr5 = register(counter, atena_no="710000000000005")
    with at(2025, 5, 8):
        change_request_reject(actor=approver, change_request_id=cr5.pk, reason="要件を満たさない")
    with at(2025, 9, 1):
        made["other"], cr6 = register(other_counter, atena_no="710000000000006")
        change_request_approve(actor=other_approver, change_request_id=cr6.pk)
    with at(2026, 3, 1):  # released after the 2025 report: still counted in it
        release = release_request_create(actor=counter, target_id=made["released_later"].pk, reason="wish",
                                         case_ids=None)
        change_request_approve(actor=approver, change_request_id=release.pk)
    with at(2026, 10, 1):  # registered again: a new period, pending
        registration_submit(actor=counter, payload=intake_payload(atena_no="710000000000001"),
                            today=datetime.date(2026, 10, 1))
    return made


def _row(report, code):
    return next(r for r in report.rows if r.department_code == code)


def test_as_of_is_the_end_of_1_december_japan_time():
    assert as_of_moment(2025) == datetime.datetime(2025, 12, 1, 23, 59, 59, 999999, tzinfo=JST)
    assert latest_report_year(datetime.date(2026, 11, 30)) == 2025
    assert latest_report_year(datetime.date(2026, 12, 1)) == 2026


def test_counts_as_of_1_december_from_periods_not_todays_status(history, auditor):
    with at(2026, 12, 3):
        report = annual_report(actor=auditor, year=2025)
    kodomo = _row(report, "kodomo")
    # released_later (active then, released since), pending_then (pending then, active now),
    # late_on_the_day (pending); not `after`, not `rejected`.
    assert (kodomo.total, kodomo.active, kodomo.pending) == (3, 1, 2)
    assert kodomo.by_case == {"1-I": 1, "2-I": 3, "2-II": 0}
    zeimu = _row(report, "zeimu")
    assert (zeimu.total, zeimu.active, zeimu.pending) == (1, 1, 0)
    assert report.total.total == 4 and report.whole_municipality


def test_the_next_year_counts_the_reopened_person_in_its_new_period(history, auditor):
    with at(2026, 12, 3):
        report = annual_report(actor=auditor, year=2026)
    kodomo = _row(report, "kodomo")
    # released_later: released in March, registered again in October (pending, new period);
    # pending_then, late_on_the_day (still pending), after (pending): all four.
    assert (kodomo.total, kodomo.active, kodomo.pending) == (4, 1, 3)
    ids = set(cases_protecting_at(as_of_moment(2026)).values_list("target_id", flat=True))
    assert history["released_later"].pk in ids and history["rejected"].pk not in ids


def test_department_staff_see_their_own_department_only(history, counter):
    with at(2026, 12, 3):
        report = annual_report(actor=counter, year=2025)
    assert [r.department_code for r in report.rows] == ["kodomo"] and not report.whole_municipality


def test_the_screen_csv_and_xlsx_carry_the_same_table_and_each_read_is_audited(history, web, auditor):
    client = web(auditor)
    with at(2026, 12, 3):
        page = client.get(reverse("dashboard:annual_report"), {"year": "2025"})
        csv = client.get(reverse("dashboard:annual_report_csv"), {"year": "2025"})
        xlsx = client.get(reverse("dashboard:annual_report_xlsx"), {"year": "2025"})
    html = page.content.decode()
    assert page.status_code == 200 and "2025年12月1日現在" in html and "子ども家庭支援課" in html
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "所属コード,所属名,設定対象者数（計）,うち設定中,うち登録承認待ち,類型 ①-I,類型 ②-I,類型 ②-II"
    assert lines[1] == "kodomo,子ども家庭支援課,3,1,2,1,3,0" and lines[-1] == ",合計,4,2,2,1,4,0"
    cells = read_cells(b"".join(xlsx.streaming_content))
    assert [v for _, v in cells[0]] == lines[0].split(",")
    assert cells[1][0] == ("s", "kodomo") and cells[1][2] == ("n", "3")
    outputs = sorted(AuditEvent.objects.filter(action="report.annual").values_list("detail__output", flat=True))
    assert outputs == ["csv", "screen", "xlsx"]


def test_system_admins_are_refused_and_the_refusal_is_audited(web, sysadmin):
    with at(2026, 12, 3):
        response = web(sysadmin).get(reverse("dashboard:annual_report"))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="report.annual", outcome=Outcome.DENIED).exists()


def test_a_year_not_offered_is_a_clear_400(web, counter):
    with at(2026, 12, 3):
        response = web(counter).get(reverse("dashboard:annual_report"), {"year": "1999"})
    assert response.status_code == 400 and "年を選び直してください" in response.content.decode()
