"""The operator commands are how a real installation is set up."""
import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Department, Staff
from audit.models import AuditEvent


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_department_staff_and_token(db):
    run("create_department", "--code", "kodomo", "--name", "子ども家庭支援課", "--linkage")
    run("create_department", "--code", "koho", "--name", "広報課")
    assert Department.objects.get(code="kodomo").does_linkage and not Department.objects.get(code="koho").does_linkage
    run("create_staff", "--username", "c1", "--department", "kodomo", "--role", "counter",
        "--password", "a-long-pass-123")
    staff = Staff.objects.get(username="c1")
    assert staff.role == "counter" and staff.department.code == "kodomo" and staff.check_password("a-long-pass-123")
    token = run("issue_api_token", "--username", "c1").split()[-1]
    assert ApiToken.objects.filter(key_hash=ApiToken.hash_key(token), staff=staff).exists()
    assert not ApiToken.objects.filter(key_hash=token).exists()  # only the hash is stored


def test_staff_for_unknown_department_is_refused(db):
    with pytest.raises(CommandError, match="存在しません"):
        run("create_staff", "--username", "c1", "--department", "nope", "--role", "counter", "--password", "x" * 12)


def test_seed_demo_is_repeatable_and_prints_logins(db):
    first = run("seed_demo")
    run("seed_demo")
    assert "counter1" in first and "approver1" in first and "demo-pass-2026" in first
    assert Staff.objects.filter(username="approver1", role="approver").count() == 1


def test_revoke_api_token_by_id_and_by_user(db):
    run("create_department", "--code", "kodomo", "--name", "子ども家庭支援課", "--linkage")
    for username in ("c1", "c2"):
        run("create_staff", "--username", username, "--department", "kodomo", "--role", "counter",
            "--password", "a-long-pass-123")
    first, second = (run("issue_api_token", "--username", "c1").split()[-1] for _ in range(2))
    keep = run("issue_api_token", "--username", "c2").split()[-1]
    one = ApiToken.objects.get(key_hash=ApiToken.hash_key(first))
    c1 = Staff.objects.get(username="c1")

    out = run("revoke_api_token", str(one.pk))
    assert f"revoked API token #{one.pk} of staff #{c1.pk}" in out and "1 件" in out
    with pytest.raises(CommandError, match="既に失効"):
        run("revoke_api_token", str(one.pk))
    with pytest.raises(CommandError, match="見つかりません"):
        run("revoke_api_token", "999999")

    out = run("revoke_api_token", "--user", "c1")
    two = ApiToken.objects.get(key_hash=ApiToken.hash_key(second))
    assert f"revoked API token #{two.pk}" in out and f"#{one.pk} " not in out and "1 件" in out
    assert ApiToken.objects.get(key_hash=ApiToken.hash_key(keep)).revoked_at is None
    events = AuditEvent.objects.filter(action="api_token.revoke").order_by("id")
    assert [(e.actor_id, e.channel, e.detail) for e in events] == [
        (None, "cli", {"token_id": one.pk, "staff_id": c1.pk, "reason": "manual"}),
        (None, "cli", {"token_id": two.pk, "staff_id": c1.pk, "reason": "manual"}),
    ]
    with pytest.raises(CommandError, match="見つかりません"):
        run("revoke_api_token", "--user", "nobody")
