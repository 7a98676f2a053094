"""The deciding department (ADR 0033) and the fallback approver (ADR 0035): a request opened
by a department without an active approver is decided by FALLBACK_APPROVER_DEPARTMENT's head;
with no fallback it waits for an approver of its own. The clerk is told before submitting;
the system admins see which departments have no approver."""
import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import approver_routing
from accounts.services import department_create
from flags.models import ChangeRequest, ChangeStatus
from tests.conftest import VerifiedClient
from victims.models import Target
from victims.reminders import reminders_for
from victims.services import change_request_approve, change_request_withdraw
from victims.transfers import transfer_request_create

from .test_registration_no_oracle import token_client

JAN_10 = datetime.datetime(2026, 1, 10, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))


def _login(staff) -> VerifiedClient:
    client = VerifiedClient()
    client.force_login(staff)
    return client


@pytest.fixture
def fallback_kodomo(settings, approver):
    settings.FALLBACK_APPROVER_DEPARTMENT = "kodomo"


def test_a_department_with_an_active_head_decides_itself(departments, approver, settings):
    settings.FALLBACK_APPROVER_DEPARTMENT = "zeimu"
    assert approver_routing(departments["kodomo"]) == departments["kodomo"]


def test_without_a_head_the_fallback_decides(departments, fallback_kodomo, nonlinkage_counter):
    assert approver_routing(departments["koho"]) == departments["kodomo"]


def test_without_a_fallback_nobody_does(departments, nonlinkage_counter, settings):
    settings.FALLBACK_APPROVER_DEPARTMENT = ""
    assert approver_routing(departments["koho"]) is None


def test_an_inactive_head_or_a_headless_fallback_does_not_count(departments, make_staff, settings):
    head = make_staff("koho_head", "koho", Role.APPROVER)
    head.is_active = False
    head.save(update_fields=["is_active"])
    settings.FALLBACK_APPROVER_DEPARTMENT = "zeimu"  # 税務課 has no approver in this test
    assert approver_routing(departments["koho"]) is None


def test_the_fallback_head_decides_a_headless_departments_registration(
        fallback_kodomo, nonlinkage_counter, approver, register):
    target, change_request = register(nonlinkage_counter)
    assert change_request.deciding_department.code == "kodomo" and change_request.department.code == "koho"
    head = token_client(approver)
    assert head.get(f"/api/v1/targets/{target.pk}/").status_code == 200  # reads what it decides
    assert _login(approver).get("/").context["queue_count"] == 1
    queue = _login(approver).get("/flags/approvals/").content.decode()
    assert "承認者がいないため、この所属が代わりに決裁します" in queue
    approved = head.post(f"/api/v1/change-requests/{change_request.pk}/approve", {}, format="json")
    assert approved.status_code == 200, approved.json()
    target.refresh_from_db()
    assert target.status == "active" and target.owning_department.code == "koho"
    change_request.refresh_from_db()
    assert change_request.decided_department.code == "kodomo"
    # Decided, the request no longer opens the record to the fallback department.
    assert head.get(f"/api/v1/targets/{target.pk}/").status_code == 404


def test_with_no_fallback_the_request_waits_and_no_other_head_decides(nonlinkage_counter, approver, register):
    _, change_request = register(nonlinkage_counter)
    assert change_request.deciding_department.code == "koho"
    refused = token_client(approver).post(f"/api/v1/change-requests/{change_request.pk}/approve", {}, format="json")
    assert refused.status_code == 404
    assert ChangeRequest.objects.get(pk=change_request.pk).status == ChangeStatus.PENDING


def test_the_fallback_head_completes_a_withdrawal(fallback_kodomo, nonlinkage_counter, approver,
                                                  register):
    _, change_request = register(nonlinkage_counter)
    change_request_withdraw(actor=nonlinkage_counter, change_request_id=change_request.pk, reason="本人の申出")
    change_request_withdraw(actor=approver, change_request_id=change_request.pk)
    assert ChangeRequest.objects.get(pk=change_request.pk).status == ChangeStatus.WITHDRAWN


def test_a_transfer_to_a_headless_department_goes_to_the_fallback(
        settings, counter, approver, approver2, nonlinkage_counter, register):
    target, change_request = register(counter)
    change_request_approve(actor=approver, change_request_id=change_request.pk)
    settings.FALLBACK_APPROVER_DEPARTMENT = "kodomo"
    transfer = transfer_request_create(actor=counter, target_id=target.pk, department_code="koho", reason="転居")
    assert transfer.deciding_department.code == "kodomo" and transfer.transfer_to.code == "koho"
    change_request_approve(actor=approver2, change_request_id=transfer.pk)
    assert Target.objects.get(pk=target.pk).owning_department.code == "koho"


def test_the_database_refuses_an_approval_by_another_department(counter, register, departments, approver):
    _, change_request = register(counter)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=change_request.pk).update(
            status=ChangeStatus.APPROVED, decided_by=approver, decided_department=departments["zeimu"],
            decided_at=timezone.now())


def test_the_intake_screen_names_the_fallback_before_submitting(fallback_kodomo, nonlinkage_counter):
    html = _login(nonlinkage_counter).get("/targets/new/").content.decode()
    assert "この所属には承認者がいません。申請は子ども家庭支援課（所属長）が承認します。" in html


def test_the_intake_screen_warns_clearly_without_a_fallback(nonlinkage_counter):
    html = _login(nonlinkage_counter).get("/targets/new/").content.decode()
    assert 'id="approver-routing"' in html and "登録しても承認されません" in html


def test_a_department_with_its_head_sees_no_warning(counter, approver):
    assert 'id="approver-routing"' not in _login(counter).get("/targets/new/").content.decode()


def test_the_admins_home_lists_departments_without_an_approver(sysadmin, counter, approver, nonlinkage_counter):
    html = _login(sysadmin).get("/").content.decode()
    section = html[html.index('id="without-approver"'):]
    assert "広報課（koho）" in section and "子ども家庭支援課" not in section
    assert "承認者が置かれるまで申請は承認されません" in section


def test_the_fallback_head_is_reminded_of_an_overdue_approval(fallback_kodomo, nonlinkage_counter, approver,
                                                              register, settings):
    settings.REMINDER_APPROVAL_OVERDUE_DAYS = 3
    with time_machine.travel(JAN_10, tick=False):
        target, _ = register(nonlinkage_counter)
    with time_machine.travel(JAN_10 + datetime.timedelta(days=3), tick=False):
        overdue = [(r.kind, r.target_id) for r in reminders_for(actor=approver) if r.kind == "approval_overdue"]
    assert overdue == [("approval_overdue", target.pk)]


def test_without_the_setting_the_marked_contact_point_decides(departments, nonlinkage_counter, approver, settings):
    # ADR 0041: the 情報連携 contact point is the fallback when no code is configured; a
    # configured code still wins, and a contact point without a head is no fallback.
    settings.FALLBACK_APPROVER_DEPARTMENT = ""
    assert approver_routing(nonlinkage_counter.department) is None
    department_create(actor=None, code=approver.department.code, name=approver.department.name,
                      does_linkage=True, contact_point=True)
    assert approver_routing(nonlinkage_counter.department) == approver.department
    settings.FALLBACK_APPROVER_DEPARTMENT = "zeimu"  # 税務課 has no approver in these tests
    assert approver_routing(nonlinkage_counter.department) is None
