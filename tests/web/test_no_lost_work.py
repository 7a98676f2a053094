"""No lost work (WCAG 2.2.1, ADR 0048/0049): the warning before the idle timeout with a way to
continue, and intake input that survives a timeout, for the same clerk only, for a limited time."""
import html
import logging
import re
import time

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from core.policy import Role
from victims.intake_drafts import intake_draft_fields
from victims.models import IntakeDraft

from .conftest import form_data
from .test_intake import hidden_fields, register_from

pytestmark = pytest.mark.django_db
NAME = "山田　花子"


def test_every_page_carries_the_warning_two_minutes_before_the_idle_timeout(login, counter, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 900
    page = login(counter).get(reverse("home")).content.decode()
    assert 'data-warn-after="780" data-idle="900"' in page
    assert "ログインを継続する" in page and 'src="/static/js/session_timeout.js"' in page
    assert 'action="/session/keepalive/"' in page


def test_the_login_screen_has_no_warning(client):
    assert "session-warning" not in client.get(reverse("accounts:login")).content.decode()


def test_continuing_keeps_the_session_past_the_idle_timeout(login, counter):
    clerk = login(counter)
    start = time.time()
    with time_machine.travel(start):
        assert clerk.get(reverse("home")).status_code == 200
    with time_machine.travel(start + 14 * 60):
        assert clerk.post(reverse("accounts:session_keepalive")).status_code == 204
    with time_machine.travel(start + 28 * 60):  # 28 minutes after the page, 14 after 「継続」
        assert clerk.get(reverse("home")).status_code == 200


def test_without_continuing_the_session_ends(login, counter):
    clerk = login(counter)
    start = time.time()
    with time_machine.travel(start):
        assert clerk.get(reverse("home")).status_code == 200
    with time_machine.travel(start + 16 * 60):
        response = clerk.post(reverse("accounts:session_keepalive"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_keepalive_is_post_only(login, counter):
    assert login(counter).get(reverse("accounts:session_keepalive")).status_code == 405


def time_out_on_submit(clerk, start, **overrides):
    """Open the intake at `start`, submit it 16 idle minutes later: the session has timed out."""
    with time_machine.travel(start):
        assert clerk.get("/targets/new/").status_code == 200
    with time_machine.travel(start + 16 * 60):
        return clerk.post("/targets/new/", form_data(step="confirm", **overrides))


def test_the_intake_input_survives_a_timeout_and_comes_back_after_the_next_login(login, counter, caplog):
    start = time.time()
    caplog.set_level(logging.DEBUG)
    timed_out = time_out_on_submit(login(counter), start)
    assert timed_out.status_code == 302 and "/login/" in timed_out["Location"]
    draft = IntakeDraft.objects.get(staff=counter)
    with time_machine.travel(start + 17 * 60):  # read when it was kept (the seal carries its time)
        fields = intake_draft_fields(draft)
    assert fields is not None and fields["name"] == [NAME] and "csrfmiddlewaretoken" not in fields
    assert NAME not in caplog.text  # kept, never logged
    assert not [e for e in AuditEvent.objects.all() if NAME in str(e.__dict__)]  # nor in the audit

    with time_machine.travel(start + 20 * 60):
        again = login(counter)
        offer = again.get("/targets/new/").content.decode()
        assert "前回の入力が残っています" in offer and "前回の入力を復元" in offer and "破棄" in offer
        assert NAME not in offer  # offered, not shown until asked for
        restored = again.post("/targets/new/", {"step": "restore_draft"})
        body = restored.content.decode()
    assert restored.status_code == 200 and f'value="{NAME}"' in body
    assert "前回の入力を復元しました" in body and "data-error-summary" not in body
    assert re.search(r'<input type="checkbox" name="card_left"[^>]*checked', body)


def test_a_successful_registration_discards_the_kept_input(login, counter):
    start = time.time()
    time_out_on_submit(login(counter), start)
    with time_machine.travel(start + 20 * 60):
        clerk = login(counter)
        page = clerk.post("/targets/new/", {**form_data(), "step": "confirm"})
        assert hidden_fields(page)
        assert register_from(clerk, page).status_code == 302
    assert not IntakeDraft.objects.filter(staff=counter).exists()


def test_discarding_deletes_it(login, counter):
    start = time.time()
    time_out_on_submit(login(counter), start)
    with time_machine.travel(start + 20 * 60):
        clerk = login(counter)
        response = clerk.post("/targets/new/", {"step": "discard_draft"}, follow=True)
    assert "前回の入力を破棄しました" in html.unescape(response.content.decode())
    assert not IntakeDraft.objects.exists()


def test_another_clerk_even_of_the_same_department_is_never_offered_it(login, counter, make_staff):
    colleague = make_staff("counter2", "kodomo", Role.COUNTER)
    start = time.time()
    time_out_on_submit(login(counter), start)
    with time_machine.travel(start + 20 * 60):
        other = login(colleague)
        assert "前回の入力" not in other.get("/targets/new/").content.decode()
        restored = other.post("/targets/new/", {"step": "restore_draft"}, follow=True).content.decode()
    assert NAME not in restored
    assert IntakeDraft.objects.filter(staff=counter).exists()  # the colleague's click did not discard it


def test_it_is_deleted_after_the_absolute_session_limit(login, counter, settings):
    start = time.time()
    time_out_on_submit(login(counter), start)
    with time_machine.travel(start + 16 * 60 + settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS + 60):
        offer = login(counter).get("/targets/new/").content.decode()
    assert "前回の入力が残っています" not in offer
    assert not IntakeDraft.objects.exists()


def test_a_cross_site_post_on_a_timed_out_session_keeps_nothing(client, counter):
    forged = type(client)(enforce_csrf_checks=True)
    forged.force_login(counter)
    start = time.time()
    time_out_on_submit(forged, start)  # no CSRF token: it could be another site's form
    assert not IntakeDraft.objects.exists()


def test_the_login_screen_says_why_and_where_the_input_is(login, counter):
    clerk = login(counter)
    timed_out = time_out_on_submit(clerk, time.time())
    page = clerk.get(timed_out["Location"]).content.decode()
    assert "自動的にログアウトしました" in page and "登録画面を開くと復元できます" in page
    assert NAME not in page


def test_an_ordinary_login_screen_does_not(client):
    assert "自動的にログアウトしました" not in client.get(reverse("accounts:login")).content.decode()
