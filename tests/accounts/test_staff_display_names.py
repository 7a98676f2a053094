"""Staff display names (ADR 0028) set by system administrators on /staff/ and
/staff/{id}/display-name/, audited as staff.update (ids only); everyone else is refused."""
import pytest

from accounts.models import Staff
from audit.models import AuditEvent, Outcome
from tests.conftest import VerifiedClient


def _login(staff) -> VerifiedClient:
    client = VerifiedClient()
    client.force_login(staff)
    return client


def test_the_list_shows_every_staff_member_with_a_link(sysadmin, counter, approver):
    response = _login(sysadmin).get("/staff/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "counter1" in html and "approver1" in html
    assert f'href="/staff/{counter.pk}/display-name/"' in html


def test_an_admin_sets_a_display_name_exactly_as_written(sysadmin, approver):
    client = _login(sysadmin)
    assert client.get(f"/staff/{approver.pk}/display-name/").status_code == 200
    response = client.post(f"/staff/{approver.pk}/display-name/", {"display_name": "  子ども　花子\n"})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    approver.refresh_from_db()
    assert approver.display_name == "子ども　花子"  # the full-width space stays, the line break goes
    event = AuditEvent.objects.filter(action="staff.update", outcome=Outcome.ALLOWED).latest("id")
    assert event.detail == {"staff_id": approver.pk, "field": "display_name"}
    assert "花子" not in str(event.detail)


def test_the_new_name_appears_on_the_list_and_on_the_slip(sysadmin, counter, approver, register):
    _login(sysadmin).post(f"/staff/{counter.pk}/display-name/", {"display_name": "窓口　一郎"})
    _, change_request = register(counter)
    slip = _login(approver).get(f"/flags/requests/{change_request.pk}/slip/").content.decode()
    assert "窓口　一郎" in slip
    assert "窓口　一郎" in _login(sysadmin).get("/staff/").content.decode()


def test_an_empty_name_falls_back_to_the_username(sysadmin, approver):
    approver.display_name = "前の名前"
    approver.save(update_fields=["display_name"])
    _login(sysadmin).post(f"/staff/{approver.pk}/display-name/", {"display_name": ""})
    approver.refresh_from_db()
    assert approver.display_name == "" and approver.shown_name == "approver1"


def test_a_too_long_name_is_a_400_tied_to_its_field(sysadmin, approver):
    response = _login(sysadmin).post(f"/staff/{approver.pk}/display-name/", {"display_name": "長" * 101})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-describedby="error-display_name"' in html and "100文字以内" in html
    assert Staff.objects.get(pk=approver.pk).display_name == ""


def test_an_unknown_staff_member_is_a_404(sysadmin):
    assert _login(sysadmin).get("/staff/999999/display-name/").status_code == 404
    assert _login(sysadmin).post("/staff/999999/display-name/", {"display_name": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["counter", "approver", "auditor"])
def test_no_one_but_a_system_admin_may_see_or_change_names(who, request, counter):
    client = _login(request.getfixturevalue(who))
    assert client.get("/staff/").status_code == 403
    assert client.post(f"/staff/{counter.pk}/display-name/", {"display_name": "乗っ取り"}).status_code == 403
    assert Staff.objects.get(pk=counter.pk).display_name == ""
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).exists()


def test_the_admin_home_links_the_staff_screen(sysadmin):
    assert 'href="/staff/"' in _login(sysadmin).get("/").content.decode()
