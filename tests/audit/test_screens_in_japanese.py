"""The auditors' screens in Japanese (issue 12): action labels, empty states, who-has-seen by
POST (no 宛名番号 in a URL), a CSV with Japanese actions, roles and outcomes."""
import csv
import io

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from victims.selectors import target_get_for_user


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


def test_a_search_with_no_result_says_so(auditor_client, db):
    html = auditor_client.get(reverse("audit:events"), {"action": "target.nothing"}).content.decode()
    # The empty table's message, and the count above the table (ADR 0069's capped count).
    assert "条件に該当するイベントはありません（0件）" in html and "<p>0件 " in html


def test_the_search_shows_action_labels_not_codes(auditor_client, counter, register):
    target, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk)
    html = auditor_client.get(reverse("audit:events"), {"action": "target.read"}).content.decode()
    assert "<td>対象者の記録の閲覧</td>" in html and "<td>target.read</td>" not in html


def test_who_has_seen_searches_by_post_only(auditor_client, counter, register):
    target, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk)
    by_get = auditor_client.get(reverse("who_has_seen"), {"atena_no": target.atena_no})
    assert by_get.context["events"] is None  # a number in the URL is not searched
    assert not AuditEvent.objects.filter(action="audit.who_has_seen").exists()
    html = by_get.content.decode()
    assert '<form method="post"' in html and "csrfmiddlewaretoken" in html
    by_post = auditor_client.post(reverse("who_has_seen"), {"atena_no": target.atena_no})
    assert "<td>対象者の記録の閲覧</td>" in by_post.content.decode()
    assert AuditEvent.objects.filter(action="audit.who_has_seen", target_id=target.pk).exists()


def test_the_csv_has_japanese_actions_roles_and_outcomes(auditor_client, counter, register):
    target, _ = register(counter)
    target_get_for_user(actor=counter, target_id=target.pk)
    audit_record(actor=None, action="auth.login_failed", outcome="denied", username="nobody")
    body = b"".join(auditor_client.get(reverse("audit:export_csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    read = next(r for r in rows if r["操作コード"] == "target.read")
    assert read["操作"] == "対象者の記録の閲覧" and read["役割"] == "窓口職員" and read["結果"] == "許可"
    failed = next(r for r in rows if r["操作コード"] == "auth.login_failed")
    assert failed["結果"] == "拒否" and failed["役割"]
    assert all(r["役割"] for r in rows)
    assert not any(v in ("allowed", "denied") for r in rows for v in r.values())
