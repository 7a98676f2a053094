"""Notices that are acknowledged (issue 11): every other linkage department is told of an
approved set, an approved change of protection and an approved release; it acknowledges
each one; the owning department sees who has; overdue ones reach auditors and the recipient."""
import datetime

import pytest
import time_machine
from django.utils import timezone

from audit.actions import AuditAction
from audit.models import AuditEvent
from core.errors import NotFound
from victims import selectors, services
from victims.models import Notice, NoticeKind

pytestmark = pytest.mark.django_db


def _approved(register, counter, approver, **overrides):
    target, cr = register(counter, **overrides)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    return target


def _released(register, counter, approver, approver2, **overrides):
    target = _approved(register, counter, approver, **overrides)
    rr = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    services.change_request_approve(actor=approver2, change_request_id=rr.pk)
    return target


def test_an_approved_set_tells_every_other_linkage_department_only(register, counter, approver, departments):
    target = _approved(register, counter, approver)
    notices = list(Notice.objects.all())
    # 子ども家庭支援課 owns the person; 広報課 and the others do no linkage.
    assert [(n.department.code, n.kind, n.atena_no, n.name) for n in notices] == [
        ("zeimu", NoticeKind.SET, target.atena_no, "山田　花子")]
    assert notices[0].acknowledged_at is None and notices[0].acknowledged_by is None


def test_a_full_release_is_a_release_notice_and_a_partial_one_an_amend(register, counter, approver, approver2):
    released = _released(register, counter, approver, approver2)
    assert list(Notice.objects.filter(change_request__target=released).values_list("kind", flat=True)
                .order_by("id")) == [NoticeKind.SET, NoticeKind.RELEASE]
    partial = _approved(register, counter, approver, cases=[{"type": "2-I", "card_left": True},
                                                            {"type": "1-I", "abuser_atena_no": "200000000000031"}])
    case = partial.cases.get(case_type="2-I")
    rr = services.release_request_create(actor=counter, target_id=partial.pk, reason="wish", case_ids=[case.pk])
    services.change_request_approve(actor=approver2, change_request_id=rr.pk)
    assert Notice.objects.get(change_request=rr).kind == NoticeKind.AMEND


def test_the_amendment_hook_notifies_only_when_protection_changes(register, counter, approver):
    target = _approved(register, counter, approver)
    # Stands in for the approved amendment's own change request (amendments are built apart).
    cr = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    assert services.notices_on_amendment_approved(target=target, change_request=cr, changes_protection=False,
                                                  now=timezone.now()) == []
    made = services.notices_on_amendment_approved(target=target, change_request=cr, changes_protection=True,
                                                  now=timezone.now())
    assert [(n.department.code, n.kind) for n in made] == [("zeimu", NoticeKind.AMEND)]


def test_acknowledge_records_who_and_when_once_and_is_audited(register, counter, approver, other_counter,
                                                              other_approver):
    target = _approved(register, counter, approver)
    notice = Notice.objects.get()
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=False):
        first = services.notice_acknowledge(actor=other_counter, notice_id=notice.pk)
        first_at = timezone.now()
    again = services.notice_acknowledge(actor=other_approver, notice_id=notice.pk)
    assert (first.acknowledged_by, first.acknowledged_at) == (other_counter, first_at)
    assert (again.acknowledged_by, again.acknowledged_at) == (other_counter, first_at)  # the first one stays
    events = AuditEvent.objects.filter(action=AuditAction.NOTICE_ACKNOWLEDGE).order_by("id")
    assert [(e.actor_id, e.target_id, e.detail["notice_id"], e.detail["already"]) for e in events] == [
        (other_counter.pk, target.pk, notice.pk, False), (other_approver.pk, target.pk, notice.pk, True)]


def test_another_departments_notice_is_not_found_and_the_attempt_audited(register, counter, approver, approver2):
    _approved(register, counter, approver)
    notice = Notice.objects.get()  # addressed to 税務課
    with pytest.raises(NotFound):
        services.notice_acknowledge(actor=approver2, notice_id=notice.pk)  # the owner's head is not the recipient
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
    denied = AuditEvent.objects.get(action=AuditAction.NOTICE_ACKNOWLEDGE)
    assert denied.outcome == "denied" and denied.detail["notice_id"] == notice.pk


def test_overdue_after_the_setting_days(register, counter, approver, other_counter, auditor, settings):
    settings.NOTICE_ACK_DAYS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        target = _approved(register, counter, approver)
    with time_machine.travel(start + datetime.timedelta(days=3) - datetime.timedelta(minutes=1), tick=False):
        assert selectors.notices_overdue_for_auditor(actor=auditor) == []
        assert selectors.overdue_notice_count(actor=other_counter) == 0
    with time_machine.travel(start + datetime.timedelta(days=3, minutes=1), tick=False):
        rows = selectors.notices_overdue_for_auditor(actor=auditor)
        assert [(r.department.code, r.change_request.target_id) for r in rows] == [("zeimu", target.pk)]
        assert selectors.overdue_notice_count(actor=other_counter) == 1
        services.notice_acknowledge(actor=other_counter, notice_id=rows[0].pk)
        assert selectors.notices_overdue_for_auditor(actor=auditor) == []
        assert selectors.overdue_notice_count(actor=other_counter) == 0
