"""TOTP two-factor login: enrolment, verification, throttling, admin-only audited recovery."""
import datetime

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_issue
from audit.models import AuditEvent
from tests.conftest import PASSWORD


def token_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def password_login(username: str) -> Client:
    client = Client()  # a plain client: no shortcut past the second factor
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_password_alone_opens_nothing_and_leads_to_enrolment(counter):
    client = password_login("counter1")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:otp_enrol") in response["Location"]
    api = client.post("/api/v1/inquiry-checks/", {"atena_no": "123456789012345", "direction": "inquiry"},
                      content_type="application/json")
    assert api.status_code == 403


def test_enrolment_with_the_right_code_opens_the_app(counter):
    client = password_login("counter1")
    page = client.get(reverse("accounts:otp_enrol"))
    assert page.status_code == 200 and "data:image/svg+xml;" in page.content.decode()
    device = TOTPDevice.objects.get(user=counter, confirmed=False)
    bad = client.post(reverse("accounts:otp_enrol"), {"token": "000000" if token_for(device) != "000000" else "111111"})
    assert bad.status_code == 400 and "確認コードが正しくありません" in bad.content.decode()
    # The wrong code counts against the device (django-otp's throttle): the right one is
    # accepted once the throttle's delay has passed, not at once.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3), tick=False):
        ok = client.post(reverse("accounts:otp_enrol"), {"token": token_for(device)})
        assert ok.status_code == 302
        assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.totp_enrol", actor_id=counter.pk, outcome="allowed").exists()
    assert AuditEvent.objects.filter(action="auth.totp_enrol", actor_id=counter.pk, outcome="denied").count() == 1


def test_enrolled_user_must_verify_at_each_login(counter):
    device = TOTPDevice.objects.create(user=counter, name="default", confirmed=True)
    client = password_login("counter1")
    response = client.get(reverse("home"))
    assert reverse("accounts:otp_verify") in response["Location"]
    assert client.post(reverse("accounts:otp_verify"), {"token": "abcdef"}).status_code == 400
    assert AuditEvent.objects.filter(action="auth.totp_failed", actor_id=counter.pk, outcome="denied").exists()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    assert client.post(reverse("accounts:otp_verify"), {"token": token_for(device)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_repeated_wrong_codes_are_throttled(counter):
    device = TOTPDevice.objects.create(user=counter, name="default", confirmed=True)
    client = password_login("counter1")
    client.post(reverse("accounts:otp_verify"), {"token": "999999"})
    response = client.post(reverse("accounts:otp_verify"), {"token": token_for(device)})
    assert response.status_code == 400 and "試行回数" in response.content.decode()


def test_only_a_sysadmin_resets_and_it_is_audited(client, sysadmin, counter, approver):
    TOTPDevice.objects.create(user=counter, name="default", confirmed=True)
    client.force_login(approver)
    assert client.post(reverse("accounts:otp_reset"), {"username": "counter1"}).status_code == 403
    assert TOTPDevice.objects.filter(user=counter).exists()
    client.force_login(sysadmin)
    assert client.post(reverse("accounts:otp_reset"), {"username": "counter1"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=counter).exists()
    event = AuditEvent.objects.get(action="staff.totp_reset")
    assert event.actor_id == sysadmin.pk and event.detail == {"staff_id": counter.pk}


def test_sysadmin_cannot_reset_their_own(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(reverse("accounts:otp_reset"), {"username": "sysadmin1"})
    assert response.status_code == 400 and "自分自身" in response.content.decode()


def test_a_reset_revokes_the_staff_members_api_tokens(client, sysadmin, counter, approver):
    """Whoever has the lost device may have the API tokens too (ADR 0019)."""
    TOTPDevice.objects.create(user=counter, name="default", confirmed=True)
    raw = api_token_issue(actor=None, staff=counter)
    other = api_token_issue(actor=None, staff=approver)
    client.force_login(sysadmin)
    assert client.post(reverse("accounts:otp_reset"), {"username": "counter1"}).status_code == 302
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(raw))
    assert token.revoked_at is not None and token.revoked_reason == "totp_reset"
    assert ApiToken.objects.get(key_hash=ApiToken.hash_key(other)).revoked_at is None
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor_id == sysadmin.pk
    assert event.detail == {"token_id": token.pk, "staff_id": counter.pk, "reason": "totp_reset"}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/targets/1/").status_code == 401
