"""Staff API tokens (ADR 0019): expiry, last use, revocation by a system administrator and
automatic revocation when the account's rights change."""
import datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, Staff
from accounts.services import api_token_issue, staff_create
from audit.models import AuditEvent
from tests.conftest import PASSWORD, verify_second_factor

T0 = datetime.datetime(2027, 4, 1, 9, 0, tzinfo=datetime.UTC)
PROBE = "/api/v1/targets/999999999/"  # authenticated: 404; not: 401


def call(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(PROBE)


def token_of(raw: str) -> ApiToken:
    return ApiToken.objects.get(key_hash=ApiToken.hash_key(raw))


def revocations(**detail):
    return [e for e in AuditEvent.objects.filter(action="api_token.revoke").order_by("id")
            if all(e.detail.get(k) == v for k, v in detail.items())]


# --- expiry and last use -------------------------------------------------------------------

def test_a_token_expires_after_the_configured_days_with_a_japanese_401(counter, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 90
    with time_machine.travel(T0, tick=False):
        raw = api_token_issue(actor=None, staff=counter)
    with time_machine.travel(T0 + datetime.timedelta(days=90, seconds=-1), tick=False):
        assert call(raw).status_code == 404
    with time_machine.travel(T0 + datetime.timedelta(days=90), tick=False):
        response = call(raw)
    assert response.status_code == 401
    assert response.json()["detail"] == ("トークンの有効期限が切れています。"
                                         "システム管理者に新しいトークンの発行を依頼してください。")


def test_shortening_the_lifetime_shortens_tokens_already_issued(counter, settings):
    with time_machine.travel(T0, tick=False):
        raw = api_token_issue(actor=None, staff=counter)
    settings.API_TOKEN_LIFETIME_DAYS = 7
    with time_machine.travel(T0 + datetime.timedelta(days=7), tick=False):
        assert call(raw).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(counter):
    with time_machine.travel(T0, tick=False):
        raw = api_token_issue(actor=None, staff=counter)
        assert token_of(raw).last_used_at is None
        call(raw)
    assert token_of(raw).last_used_at == T0
    with time_machine.travel(T0 + datetime.timedelta(seconds=59), tick=False):
        call(raw)
    assert token_of(raw).last_used_at == T0  # no write for this call
    with time_machine.travel(T0 + datetime.timedelta(seconds=60), tick=False):
        call(raw)
    assert token_of(raw).last_used_at == T0 + datetime.timedelta(seconds=60)


def test_a_token_call_within_the_minute_costs_no_write(counter):
    raw = api_token_issue(actor=None, staff=counter)
    call(raw)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(PROBE)
    assert not [q for q in ctx.captured_queries if "last_used_at =" in q["sql"]]


# --- the system administrators' screen ------------------------------------------------------

@pytest.fixture
def admin_client(sysadmin):
    client = Client(enforce_csrf_checks=False)
    client.force_login(sysadmin)
    verify_second_factor(client, sysadmin)
    return client


def test_the_list_shows_ids_and_dates_never_the_token(admin_client, counter):
    raw = api_token_issue(actor=None, staff=counter)
    token = token_of(raw)
    page = admin_client.get(reverse("accounts:api_tokens"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"#{token.pk}" in html and "counter1" in html and "未使用" in html and "有効" in html
    assert raw not in html and token.key_hash not in html


def test_a_sysadmin_revokes_a_token_on_the_screen_and_it_is_audited(admin_client, sysadmin, counter):
    raw = api_token_issue(actor=None, staff=counter)
    token = token_of(raw)
    response = admin_client.post(reverse("accounts:api_token_revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:api_tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_reason == "manual"
    (event,) = revocations(token_id=token.pk)
    assert event.actor_id == sysadmin.pk and event.detail == {"token_id": token.pk, "staff_id": counter.pk,
                                                               "reason": "manual"}
    assert call(raw).status_code == 401
    page = admin_client.get(reverse("accounts:api_tokens")).content.decode()
    assert "失効（管理者による失効" in page
    # Twice: a message, nothing new in the log.
    again = admin_client.post(reverse("accounts:api_token_revoke", kwargs={"pk": token.pk}), follow=True)
    assert "既に失効しています" in again.content.decode() and len(revocations(token_id=token.pk)) == 1


def test_revoking_an_absent_token_is_404(admin_client):
    assert admin_client.post(reverse("accounts:api_token_revoke", kwargs={"pk": 999999})).status_code == 404


def test_the_revoke_button_needs_the_csrf_token(sysadmin, counter):
    token = token_of(api_token_issue(actor=None, staff=counter))
    client = Client(enforce_csrf_checks=True)
    client.force_login(sysadmin)
    verify_second_factor(client, sysadmin)
    assert client.post(reverse("accounts:api_token_revoke", kwargs={"pk": token.pk})).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("role", ["counter", "approver", "auditor"])
def test_other_roles_are_refused_and_the_refusal_is_audited(client, make_staff, counter, role):
    token = token_of(api_token_issue(actor=None, staff=counter))
    other = counter if role == "counter" else make_staff(f"{role}9", "kansa" if role == "auditor" else "kodomo", role)
    client.force_login(other)
    assert client.get(reverse("accounts:api_tokens")).status_code == 403
    assert client.post(reverse("accounts:api_token_revoke", kwargs={"pk": token.pk})).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditEvent.objects.filter(action="screen.denied", actor_id=other.pk, outcome="denied").count() == 2


# --- automatic revocation ----------------------------------------------------------------------

def test_a_role_change_revokes_the_tokens(counter):
    raw = api_token_issue(actor=None, staff=counter)
    staff_create(actor=None, username="counter1", department_code="kodomo", role=Role.APPROVER, password=PASSWORD)
    assert call(raw).status_code == 401
    assert revocations(staff_id=counter.pk, reason="role_change")


def test_a_department_change_revokes_the_tokens(counter):
    raw = api_token_issue(actor=None, staff=counter)
    staff_create(actor=None, username="counter1", department_code="zeimu", role=Role.COUNTER, password=PASSWORD)
    assert call(raw).status_code == 401
    assert token_of(raw).revoked_reason == "department_change"
    assert revocations(staff_id=counter.pk, reason="department_change")


def test_deactivation_revokes_the_tokens_for_good(counter):
    raw = api_token_issue(actor=None, staff=counter)
    staff = Staff.objects.get(pk=counter.pk)
    staff.is_active = False
    staff.save()
    staff.is_active = True  # reactivated: the old token stays revoked
    staff.save()
    assert call(raw).status_code == 401
    assert token_of(raw).revoked_reason == "deactivation"


def test_a_save_that_changes_no_rights_keeps_the_tokens(client, counter):
    raw = api_token_issue(actor=None, staff=counter)
    staff_create(actor=None, username="counter1", department_code="kodomo", role=Role.COUNTER, password=PASSWORD)
    assert Client().post(reverse("accounts:login"), {"username": "counter1", "password": PASSWORD}).status_code == 302
    assert call(raw).status_code == 404
    assert not revocations()
