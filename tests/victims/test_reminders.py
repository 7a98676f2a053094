"""Reminders computed from the live record (ADR 0026): each kind's due date at its
boundaries and the department's scope. The API is in tests/api/test_reminders_api.py, the home
page and the daily job in tests/web/test_reminders_home.py."""
import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flags.rules import age_on, majority_date, procedures_complete
from tests.conftest import intake_payload
from victims.models import CaseAssessment, ReviewTask
from victims.reminders import _procedure_open, department_reminders, months_before, reminders_for
from victims.services import case_confirm_procedure, change_request_approve, registration_submit

pytestmark = pytest.mark.django_db
JST = datetime.timezone(datetime.timedelta(hours=9))


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=JST)


def d(day: str) -> datetime.date:
    return datetime.date.fromisoformat(day)


def due(actor, until: str, kind: str | None = None) -> list[tuple[str, int, str]]:
    with time_machine.travel(at(until), tick=False):
        found = reminders_for(actor=actor)
    return [(r.kind, r.target_id, r.due_on.isoformat()) for r in found if kind is None or r.kind == kind]


def test_month_and_majority_arithmetic():
    assert months_before(d("2026-06-15"), 1) == d("2026-05-15")
    assert months_before(d("2026-03-31"), 1) == d("2026-02-28")  # the earlier date: never late
    assert months_before(d("2028-03-31"), 1) == d("2028-02-29")
    assert months_before(d("2026-01-31"), 1) == d("2025-12-31")
    assert months_before(d("2026-05-31"), 1) == d("2026-04-30")
    assert majority_date(d("2008-02-29")) == d("2026-03-01")  # no 29 February in 2026
    assert majority_date(d("2012-02-29")) == d("2030-03-01")
    assert majority_date(d("2014-02-29".replace("2014", "2016"))) == d("2034-03-01")
    assert majority_date(d("2008-04-02")) == d("2026-04-02")
    for birth in ("2008-02-29", "2008-04-02", "2007-12-31"):
        adult = majority_date(d(birth))
        assert age_on(d(birth), adult) == 18 and age_on(d(birth), adult - datetime.timedelta(days=1)) == 17


def test_jumin_support_expiry_is_due_exactly_one_month_before_the_end(counter, register):
    with time_machine.travel(at("2025-06-15"), tick=False):
        target, _ = register(counter, jumin_support={"active": True, "start": "2025-06-16", "end": "2026-06-15"})
    assert due(counter, "2026-05-14") == []
    assert due(counter, "2026-05-15") == [("jumin_support_expiry", target.pk, "2026-05-15")]
    # Extended: computed from the live record, so the reminder moves with the new end.
    target.jumin_support_end = d("2027-06-15")
    target.save()
    assert due(counter, "2026-05-15") == []
    # An end that has no same day a month earlier: the month's last day.
    target.jumin_support_end = d("2027-03-31")
    target.save()
    assert due(counter, "2027-02-27") == []
    assert due(counter, "2027-02-28") == [("jumin_support_expiry", target.pk, "2027-02-28")]


def test_majority_is_due_on_the_18th_birthday_also_for_29_february(counter, approver, register):
    with time_machine.travel(at("2025-06-01"), tick=False):
        target, request = register(counter, birth_date="2008-02-29", cases=[
            {"type": "2-II", "legal_representative": "parent", "end_condition": "18歳到達"}])
        register(counter, birth_date="2010-01-01", cases=[  # a guardian: no majority reminder
            {"type": "2-II", "legal_representative": "guardian"}])
        change_request_approve(actor=approver, change_request_id=request.pk)
    case = target.cases.get()
    assert due(counter, "2026-02-28", "majority") == []
    assert due(counter, "2026-03-01", "majority") == [("majority", target.pk, "2026-03-01")]
    with time_machine.travel(at("2026-03-02"), tick=False):
        reminders = reminders_for(actor=counter)
        assert [r.case_id for r in reminders if r.kind == "majority"] == [case.pk]
        case_confirm_procedure(actor=counter, case_id=case.pk, procedure="representation",
                               confirmed_on=d("2026-03-02"))
    assert due(counter, "2026-03-02", "majority") == []


def test_procedure_followup_is_due_n_days_after_approval_and_every_n_days(counter, approver, register, settings):
    settings.REMINDER_PROCEDURE_FOLLOWUP_DAYS = 30
    with time_machine.travel(at("2026-01-09"), tick=False):
        target, request = register(counter, cases=[{"type": "2-I", "card_left": True, "agent_set": True}])
    assert due(counter, "2026-03-01", "procedure_followup") == []  # pending: nothing approved to follow up
    with time_machine.travel(at("2026-01-10", hour=23), tick=False):  # 14:00 UTC: the Japan date counts
        change_request_approve(actor=approver, change_request_id=request.pk)
    assert due(counter, "2026-02-08", "procedure_followup") == []
    assert due(counter, "2026-02-09", "procedure_followup") == [("procedure_followup", target.pk, "2026-02-09")]
    assert due(counter, "2026-03-10", "procedure_followup") == [("procedure_followup", target.pk, "2026-02-09")]
    assert due(counter, "2026-03-11", "procedure_followup") == [("procedure_followup", target.pk, "2026-03-11")]
    case = target.cases.get()
    with time_machine.travel(at("2026-03-11"), tick=False):
        case_confirm_procedure(actor=counter, case_id=case.pk, procedure="card", confirmed_on=d("2026-03-11"))
    assert due(counter, "2026-03-11", "procedure_followup") != []  # the agent release is still open
    with time_machine.travel(at("2026-03-11"), tick=False):
        case_confirm_procedure(actor=counter, case_id=case.pk, procedure="agent", confirmed_on=d("2026-03-11"))
    assert due(counter, "2026-04-30", "procedure_followup") == []


def test_approval_overdue_is_for_approvers_only(counter, approver, register, settings):
    settings.REMINDER_APPROVAL_OVERDUE_DAYS = 3
    with time_machine.travel(at("2026-01-10", hour=20), tick=False):
        target, _ = register(counter)
    assert due(approver, "2026-01-12", "approval_overdue") == []
    assert due(approver, "2026-01-13", "approval_overdue") == [("approval_overdue", target.pk, "2026-01-13")]
    assert due(counter, "2026-01-20", "approval_overdue") == []


def test_open_review_tasks_of_the_department_and_nothing_of_another(counter, approver, other_counter,
                                                                    other_approver, register):
    with time_machine.travel(at("2026-01-10"), tick=False):
        target, request = register(counter)
        payload = intake_payload(atena_no=target.atena_no)
    with time_machine.travel(at("2026-01-12"), tick=False):
        registration_submit(actor=other_counter, payload=payload, today=timezone.localdate())
    assert due(counter, "2026-01-12", "review_task") == [("review_task", target.pk, "2026-01-12")]
    assert due(other_counter, "2026-06-01") == [] and due(other_approver, "2026-06-01") == []
    ReviewTask.objects.update(status="done")
    assert due(counter, "2026-01-12", "review_task") == []


def test_department_reminders_ignore_released_and_other_departments(counter, other_counter, register):
    with time_machine.travel(at("2025-06-01"), tick=False):
        register(other_counter, birth_date="2010-05-05", cases=[{"type": "2-II", "legal_representative": "parent"}])
    assert department_reminders(counter.department_id, until=d("2030-01-01"), for_approvers=True) == []


def test_the_database_leaves_out_exactly_the_cases_whose_procedures_are_all_confirmed(register, counter):
    """A large department's reminders read only the ②-I cases with a procedure open (issue 14):
    that filter is flags.rules.procedures_complete in SQL, so it must agree with it on every
    combination of what was left behind and what was confirmed."""
    target, _ = register(counter)
    today = timezone.localdate()
    for left in itertools.product((False, True), repeat=3):
        for confirmed in itertools.product((False, True), repeat=3):
            CaseAssessment.objects.create(
                target=target, case_type="2-I", card_left=left[0], smartphone_left=left[1], agent_set=left[2],
                card_suspension_confirmed_on=today if confirmed[0] else None,
                smartphone_suspension_confirmed_on=today if confirmed[1] else None,
                agent_release_confirmed_on=today if confirmed[2] else None)
    cases = CaseAssessment.objects.filter(target=target, case_type="2-I")
    open_in_sql = set(cases.filter(_procedure_open("2-I")).values_list("pk", flat=True))
    assert open_in_sql == {c.pk for c in cases if not procedures_complete(c)}
    assert 0 < len(open_in_sql) < cases.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the production database's plan")
def test_the_live_cases_of_a_type_are_read_from_their_index(register, counter):
    """After seven years most cases have ended: the reminders' reads of a department's live
    ②-I and ②-II cases use the partial index on live cases instead of scanning all (issue 14)."""
    register(counter)
    with CaptureQueriesContext(connection) as captured:
        department_reminders(counter.department_id, until=timezone.localdate(), for_approvers=True)
    reads = [q["sql"] for q in captured.captured_queries if 'FROM "victims_caseassessment"' in q["sql"]]
    assert len(reads) == 2  # the ②-II majority and the ②-I procedures
    with connection.cursor() as cur:
        # An empty test table is cheapest to scan: forbid that, so the plan shows what a large one gets.
        cur.execute("SET LOCAL enable_seqscan = off")
        for sql in reads:
            cur.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert "case_active_by_type" in plan, plan
