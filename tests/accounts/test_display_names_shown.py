"""Display names (ADR 0028) instead of usernames where people read who did what (issue 12): the
header, the approval queue, the decision history, the audit screens' actor column (with the
username beside it for auditors), the notices' acknowledgement."""
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_denied
from victims.selectors import target_get_for_user
from victims.services import change_request_approve, notice_acknowledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(counter, approver, auditor):
    for staff, name in ((counter, "窓口　一郎"), (approver, "子ども　花子"), (auditor, "監査　三郎")):
        staff.display_name = name
        staff.save(update_fields=["display_name"])


def test_the_header_shows_the_display_name(named, web, counter):
    html = web(counter).get(reverse("home")).content.decode()
    assert "窓口　一郎" in html.split("</header>")[0]


def test_the_queue_and_the_history_name_the_people(named, web, counter, approver, register):
    target, cr = register(counter)
    assert "窓口　一郎" in web(approver).get(reverse("approvals:queue")).content.decode()
    change_request_approve(actor=approver, change_request_id=cr.pk)
    detail = web(counter).get(reverse("victims:detail", kwargs={"pk": target.pk})).content.decode()
    assert "窓口　一郎" in detail and "子ども　花子" in detail


def test_the_audit_screens_show_the_name_and_the_username(named, web, counter, auditor, register):
    target, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk)
    audit_denied(actor=counter, action="audit.search")
    client = web(auditor)
    events = client.get(reverse("audit:events"), {"action": "target.read"}).content.decode()
    assert "窓口　一郎（counter1）" in events
    seen = client.post(reverse("who_has_seen"), {"atena_no": target.atena_no}).content.decode()
    assert "窓口　一郎（counter1）" in seen
    anomalies = client.get(reverse("audit:anomalies")).content.decode()
    assert "窓口　一郎（counter1）" in anomalies  # the refused attempt


def test_a_staff_member_without_a_display_name_is_shown_by_username(web, counter, auditor, register):
    target, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk)
    events = web(auditor).get(reverse("audit:events"), {"action": "target.read"}).content.decode()
    assert "counter1" in events and "（counter1）" not in events


def test_the_acknowledgement_of_a_notice_names_who_read_it(named, web, counter, approver, other_counter, register):
    other_counter.display_name = "税務　四郎"
    other_counter.save(update_fields=["display_name"])
    _, cr = register(counter)
    change_request_approve(actor=approver, change_request_id=cr.pk)
    notice = other_counter.department.notices.get()
    notice_acknowledge(actor=other_counter, notice_id=notice.pk)
    html = web(other_counter).get(reverse("home")).content.decode()
    assert "税務　四郎" in html
    assert AuditEvent.objects.filter(action="notice.acknowledge").exists()
