import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from audit import chain
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chain
from tests.conftest import PASSWORD


def _events(n, actor=None):
    for i in range(n):
        audit_record(actor=actor, action="audit.search", detail={"i": i})


def _as_superuser_bypassing_triggers(sql, params=()):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(sql, params)


def _verify_exit_code(capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    return exc.value.code, capsys.readouterr().err


def test_intact_chain_verifies(db, capsys):
    _events(5)
    assert verify_chain().ok
    call_command("audit_verify")
    assert "OK: 5 events" in capsys.readouterr().out


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET action = 'x'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
])
def test_database_refuses_changes(db, sql):
    _events(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    assert AuditEvent.objects.count() == 2


def test_orm_delete_is_refused_too(db):
    _events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_altered_row_is_named(db, capsys):
    _events(5)
    bad = AuditEvent.objects.order_by("id")[2]
    _as_superuser_bypassing_triggers("UPDATE audit_auditevent SET detail = %s WHERE id = %s",
                                     [json.dumps({"i": 99}), bad.id])
    code, err = _verify_exit_code(capsys)
    assert code == 1 and f"id={bad.id}" in err


def test_altered_row_with_recomputed_hash_breaks_the_next_link(db, capsys):
    _events(4)
    rows = list(AuditEvent.objects.order_by("id").values(*chain.CHAINED_FIELDS, "prev_hash"))
    forged = dict(rows[1], action="forged")
    _as_superuser_bypassing_triggers("UPDATE audit_auditevent SET action = 'forged', hash = %s WHERE id = %s",
                                     [chain.link(forged["prev_hash"], forged), forged["id"]])
    code, err = _verify_exit_code(capsys)
    assert code == 1 and f"id={rows[2]['id']}" in err


def test_removed_row_is_found(db, capsys):
    _events(5)
    gone = AuditEvent.objects.order_by("id")[1]
    _as_superuser_bypassing_triggers("DELETE FROM audit_auditevent WHERE id = %s", [gone.id])
    code, err = _verify_exit_code(capsys)
    assert code == 1 and f"id={gone.id + 1}" in err


def test_reordered_rows_are_found(db, capsys):
    _events(4)
    a, b = AuditEvent.objects.order_by("id")[1:3]
    _as_superuser_bypassing_triggers(
        "UPDATE audit_auditevent SET id = CASE id WHEN %s THEN -1 END WHERE id = %s; "
        "UPDATE audit_auditevent SET id = %s WHERE id = %s; UPDATE audit_auditevent SET id = %s WHERE id = -1",
        [a.id, a.id, a.id, b.id, b.id])
    code, err = _verify_exit_code(capsys)
    assert code == 1 and f"id={a.id}" in err


def test_auth_events_are_recorded(client, counter):
    assert client.post(reverse("accounts:login"), {"username": "counter1", "password": PASSWORD}).status_code == 302
    client.post(reverse("accounts:logout"))
    failed = client.post(reverse("accounts:login"), {"username": "counter1", "password": "wrong-password"})
    assert failed.status_code == 200
    actions = list(AuditEvent.objects.values_list("action", "outcome", "actor_username"))
    assert ("auth.login", "allowed", "counter1") in actions
    assert ("auth.logout", "allowed", "counter1") in actions
    assert ("auth.login_failed", "denied", "counter1") in actions
