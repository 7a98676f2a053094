"""Session limits, cache and content-security headers on authenticated pages."""
import json
import os
import subprocess
import sys
import time

import pytest
import time_machine
from django.urls import reverse

from audit.services import audit_record
from tests.conftest import PASSWORD


@pytest.fixture
def logged_in(client, auditor):
    audit_record(actor=None, action="audit.search")
    client.force_login(auditor)
    return client


def test_authenticated_pages_are_not_cached_and_carry_a_csp(logged_in):
    response = logged_in.get(reverse("audit:home"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_pages_have_no_inline_script_or_outside_assets(logged_in):
    html = logged_in.get(reverse("audit:home")).content.decode()
    assert "<script>" not in html and "onclick=" not in html and "http://" not in html and "https://" not in html


def test_idle_session_ends_after_15_minutes(logged_in):
    assert logged_in.get(reverse("audit:home")).status_code == 200
    with time_machine.travel(time.time() + 16 * 60):
        response = logged_in.get(reverse("audit:home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_activity_keeps_the_session_but_12_hours_is_the_limit(logged_in):
    start = time.time()
    with time_machine.travel(start):
        assert logged_in.get(reverse("audit:home")).status_code == 200  # the session's first request after login
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + minutes * 60):
            assert logged_in.get(reverse("audit:home")).status_code == 200, minutes
    with time_machine.travel(start + 12 * 60 * 60 + 60):
        assert logged_in.get(reverse("audit:home")).status_code == 302


def test_deactivating_staff_ends_their_session_at_once(logged_in, auditor):
    assert logged_in.get(reverse("audit:home")).status_code == 200
    auditor.is_active = False
    auditor.save()
    assert logged_in.get(reverse("audit:home")).status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auditor, settings):
    response = client.post(reverse("accounts:login"), {"username": "auditor1", "password": PASSWORD})
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    assert cookie is not None and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_production_settings_turn_on_hsts_and_secure_cookies():
    """HTTPS=true (the deployment's setting) is read at import, so it is checked in a fresh process."""
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
            "s.DEBUG]))")
    env = {**os.environ, "HTTPS": "true", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DEBUG", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    values = json.loads(out.stdout.splitlines()[-1])
    hsts, subdomains, session_secure, csrf_secure, redirect, httponly, samesite, debug = values
    assert hsts >= 31_536_000 and subdomains and redirect
    assert session_secure and csrf_secure and httponly and samesite == "Lax"
    assert debug is False
