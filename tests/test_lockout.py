"""Lockout after repeated failures, keyed on username + IP (django-axes)."""
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import PASSWORD


def _login(client, password, ip="10.0.0.1", username="counter1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_that_username_from_that_ip(client, counter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _login(client, "wrong-password").status_code in (200, 429)
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "停止" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="auth.login_failed", actor_username="counter1").count()
    assert failures >= settings.AXES_FAILURE_LIMIT


def test_same_username_from_another_ip_is_not_locked(client, counter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password", ip="10.0.0.1")
    response = _login(client, PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor_username="counter1").exists()


def test_fewer_failures_do_not_lock(client, counter, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong-password")
    assert _login(client, PASSWORD).status_code == 302
