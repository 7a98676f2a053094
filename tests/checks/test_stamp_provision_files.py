"""Checking manual-provision files (ADR 0045): fix mode and refuse mode."""
import pytest

from audit.models import AuditEvent, AuditEventTarget
from checks.file_layouts import configured_layout
from checks.layout_confirmation import layout_confirm
from victims import services

from .conftest import PROVISION_URL, provision_line, send


@pytest.fixture
def people(counter, approver, register):
    pending, _ = register(counter, atena_no="600000000000001")
    t, cr = register(counter, atena_no="600000000000002", cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    return {"pending": pending, "2-I": t}


ROWS = [  # (atena, disclosure in, out in fix mode)
    ("999999999999999", "0", "0"),
    ("600000000000001", "0", "1"),
    ("600000000000002", "1", "1"),
    ("999999999999998", "1", "1"),
    ("600000000000002", "0", "1"),
]


def test_disclosed_lines_of_protected_persons_are_fixed_and_reported(api, other_counter, people, confirmed):
    original = b"".join(provision_line(a, disclosure=d) for a, d, _ in ROWS)
    expected = b"".join(provision_line(a, disclosure=e) for a, _, e in ROWS)
    resp = send(api(other_counter), PROVISION_URL, original)
    assert resp.status_code == 200, resp.content
    assert b"".join(resp.streaming_content) == expected
    assert resp["X-Fixed-Count"] == "2" and resp["X-Fixed-Lines"] == "2,5"
    assert resp["X-Already-Nondisclosure-Count"] == "2" and resp["X-Line-Count"] == "5"
    event = AuditEvent.objects.get(action="provision_file.check")
    assert event.detail["fixed"] == 2 and not event.detail["refused"]
    assert set(AuditEventTarget.objects.filter(event_id=event.pk).values_list("target_id", flat=True)) == {
        people["pending"].pk, people["2-I"].pk}


def test_refuse_mode_refuses_the_file_listing_the_lines(api, other_counter, people, confirmed):
    original = b"".join(provision_line(a, disclosure=d) for a, d, _ in ROWS)
    client = api(other_counter)
    resp = send(client, PROVISION_URL, original, refuse="true")
    assert resp.status_code == 400, resp.content
    errors = resp.json()["errors"]
    assert sorted(k for k in errors if k.startswith("file:")) == ["file:2", "file:5"]
    event = AuditEvent.objects.get(action="provision_file.check")
    assert event.detail["refused"] and event.detail["disclosed_lines"] == 2
    # Nothing to fix: the report, no file.
    clean = b"".join(provision_line(a, disclosure=e) for a, _, e in ROWS)
    resp = send(client, PROVISION_URL, clean, refuse="true")
    assert resp.status_code == 200
    assert resp.json()["fixed_count"] == 0 and resp.json()["line_count"] == 5


def test_provision_files_need_their_own_confirmation_and_a_valid_file(api, other_counter, people, sysadmin):
    client = api(other_counter)
    layout_confirm(actor=sysadmin, layout=configured_layout("inquiry_request"))
    assert send(client, PROVISION_URL, provision_line("600000000000001")).status_code == 409
    layout_confirm(actor=sysadmin, layout=configured_layout("manual_provision"))
    bad = provision_line("600000000000001", disclosure="x")
    resp = send(client, PROVISION_URL, provision_line("600000000000001") + bad)
    assert resp.status_code == 400 and "file:2" in resp.json()["errors"]
    assert send(client, PROVISION_URL, provision_line("600000000000001"), refuse="maybe").status_code == 400
