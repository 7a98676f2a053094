"""The client address and the request id: believed from headers only when a configured trusted
proxy sent them (ADR 0020). One function decides the address for the audit log, the lockout
(django-axes) and so the anomaly views."""
import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from audit import proxy_headers
from audit.models import AuditEvent

PROXY = "10.1.0.5"
# django-axes ships no type information; its model is looked up by name.
AccessAttempt = apps.get_model("axes", "AccessAttempt")


def _fail_login(client, **meta):
    return client.post(reverse("accounts:login"), {"username": "counter1", "password": "wrong-password"}, **meta)


def _failure():
    return AuditEvent.objects.filter(action="auth.login_failed").latest("id")


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, counter, settings):
    settings.TRUSTED_PROXIES = []
    _fail_login(client, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert _failure().ip == "203.0.113.9"
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(client, counter, settings):
    settings.TRUSTED_PROXIES = ["10.1.0.0/16", "192.0.2.10"]
    # The client wrote the left-most entry itself; 192.0.2.10 is a second proxy of ours.
    _fail_login(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 192.0.2.10")
    assert _failure().ip == "198.51.100.7"
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"  # axes locks that client, not the proxy


def test_a_spoofed_header_from_an_untrusted_address_is_ignored(client, counter, settings):
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]
    _fail_login(client, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.0.7, 198.51.100.1")
    assert _failure().ip == "203.0.113.9"


def test_a_request_from_the_proxy_itself_is_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]
    rf = RequestFactory()
    assert proxy_headers.client_ip(rf.get("/", REMOTE_ADDR=PROXY)) == PROXY
    # Garbage in the chain stops the walk at the last trusted hop rather than believing it.
    garbage = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, not-an-ip, 10.1.0.9")
    assert proxy_headers.client_ip(garbage) == "10.1.0.9"
    # An IPv4 proxy seen through an IPv6 socket is still the proxy.
    mapped = rf.get("/", REMOTE_ADDR="::ffff:10.1.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert proxy_headers.client_ip(mapped) == "198.51.100.1"


def test_a_request_id_from_a_client_is_replaced(client, counter, settings):
    settings.TRUSTED_PROXIES = []
    response = _fail_login(client, REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="attacker-chosen-id")
    assert response["X-Request-ID"] != "attacker-chosen-id" and len(response["X-Request-ID"]) == 32
    assert _failure().request_id == response["X-Request-ID"]


@pytest.mark.parametrize("sent, kept", [
    ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
    ("a" * 64, True),
    ("a" * 65, False),
    ("short", False),
    ("=HYPERLINK(\"x\")", False),
    ("id\r\nX-Evil: 1", False),
    ("<script>alert(1)</script>", False),
])
def test_a_request_id_from_a_trusted_proxy_is_kept_if_it_looks_like_one(client, counter, settings, sent, kept):
    settings.TRUSTED_PROXIES = [PROXY]
    response = _fail_login(client, REMOTE_ADDR=PROXY, HTTP_X_REQUEST_ID=sent)
    assert (response["X-Request-ID"] == sent) is kept
    assert _failure().request_id == response["X-Request-ID"]


def test_a_bad_trusted_proxies_entry_is_a_configuration_error(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        proxy_headers.client_ip(RequestFactory().get("/", REMOTE_ADDR=PROXY))
