"""GET /api/v1/reminders/ (ADR 0026): the acting department's reminders until a date."""
import pytest
import time_machine

from audit.models import AuditEvent
from tests.victims.test_reminders import at

pytestmark = pytest.mark.django_db


def test_api_lists_until_a_date_audits_the_listing_and_refuses_bad_dates(api, counter, register):
    with time_machine.travel(at("2025-06-15"), tick=False):
        target, _ = register(counter, jumin_support={"active": True, "start": "2025-06-16", "end": "2026-06-15"})
    with time_machine.travel(at("2026-05-14"), tick=False):
        client = api(counter)  # issued now: staff tokens expire (ADR 0019)
        assert client.get("/api/v1/reminders/").json() == []
        body = client.get("/api/v1/reminders/?until=2026-05-15").json()
        bad = client.get("/api/v1/reminders/?until=2026-13-01")
    assert body == [{"kind": "jumin_support_expiry", "kind_display": body[0]["kind_display"],
                     "target_id": target.pk, "case_id": None, "due_on": "2026-05-15"}]
    assert "住基" in body[0]["kind_display"]
    event = AuditEvent.objects.filter(action="reminder.list").order_by("-id").first()
    assert event.detail["target_ids"] == [target.pk] and event.detail["via"] == "api"
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in bad.json()["errors"]["until"][0]


def test_api_is_for_staff_of_a_department_only(api, sysadmin, auditor):
    for staff in (sysadmin, auditor):
        assert api(staff).get("/api/v1/reminders/").status_code == 403
    assert api().get("/api/v1/reminders/").status_code == 401


