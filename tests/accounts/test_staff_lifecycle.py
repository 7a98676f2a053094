"""The April 人事異動 (ADR 0082): deactivate_staff, move_staff, import_roster (CSV in CP932 or
UTF-8, a dry run), passwords never on the command line, every change audited. What happens to
a mover's open requests and head role."""
import io
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiToken, Role, Staff
from accounts.services import api_token_issue
from audit.models import AuditEvent
from core.errors import Forbidden, NotFound
from flags.models import ChangeStatus
from tests.conftest import PASSWORD
from victims import services
from victims.selectors import target_get_for_user

NEW_PASSWORD = "roster-initial-2027"  # noqa: S105 — a test password


def run(*args, stdin: str | None = None, monkeypatch=None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def actions(prefix="staff.", after: int = 0):
    return list(AuditEvent.objects.filter(action__startswith=prefix, id__gt=after).order_by("id")
                .values_list("action", "detail"))


def test_deactivation_ends_logins_and_tokens_and_leaves_open_requests_to_the_department(
        counter, approver, approver2, register, client):
    api_token_issue(actor=None, staff=counter)
    _, request = register(counter)
    out, _ = run("deactivate_staff", "--username", counter.username)
    assert "deactivated" in out
    counter.refresh_from_db()
    assert not counter.is_active
    client.post(reverse("accounts:login"), {"username": counter.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert not ApiToken.objects.filter(staff=counter, revoked_at__isnull=True).exists()
    assert actions("staff.deactivate") == [("staff.deactivate",
                                           {"staff_id": counter.pk, "department": "kodomo", "role": "counter"})]
    # The request stays with the department: a head still decides it.
    services.change_request_approve(actor=approver, change_request_id=request.pk)
    request.refresh_from_db()
    assert request.status == ChangeStatus.APPROVED and request.requested_by_id == counter.pk
    out, _ = run("deactivate_staff", "--username", counter.username)  # again: nothing changes
    assert len(actions("staff.deactivate")) == 1


def test_the_last_head_leaving_is_named(approver):
    _, err = run("deactivate_staff", "--username", approver.username)
    assert "kodomo に有効な所属長（承認者）がいなくなりました" in err


def test_unknown_staff_is_refused(db):
    with pytest.raises(CommandError, match="登録されていません"):
        run("deactivate_staff", "--username", "nobody")


def test_a_head_who_moves_is_counter_staff_there_unless_told(approver, approver2, counter, register):
    target, request = register(approver)
    out, err = run("move_staff", "--username", approver.username, "--department", "zeimu")
    approver.refresh_from_db()
    assert (approver.department.code, approver.role) == ("zeimu", Role.COUNTER)
    assert "異動先では窓口職員" in err
    assert list(approver.groups.values_list("name", flat=True)) == [approver.department.group.name]
    assert actions("staff.move")[-1][1] == {"staff_id": approver.pk, "from": "kodomo", "to": "zeimu",
                                           "role_from": "approver", "role_to": "counter"}
    # The old department's records are no longer theirs; their open request stays there and is
    # decided by a head of that department (four eyes still by id).
    with pytest.raises(NotFound):
        target_get_for_user(actor=approver, target_id=target.pk)
    services.change_request_approve(actor=approver2, change_request_id=request.pk)
    run("move_staff", "--username", approver2.username, "--department", "zeimu", "--role", "approver")
    approver2.refresh_from_db()
    assert (approver2.department.code, approver2.role) == ("zeimu", Role.APPROVER)


def test_a_mover_cannot_decide_their_own_request_in_the_new_department(counter, approver, register, make_staff):
    _, request = register(counter)
    run("move_staff", "--username", counter.username, "--department", "kodomo", "--role", "approver")
    counter.refresh_from_db()
    assert counter.role == Role.APPROVER
    with pytest.raises(Forbidden):
        services.change_request_approve(actor=counter, change_request_id=request.pk)


ROSTER = ("ユーザー名,所属コード,役割,氏名,在籍\r\n"
          "counter1,zeimu,counter,窓口　一郎,1\r\n"      # moves
          "approver1,kodomo,approver,所属長　花子,在籍\r\n"  # display name only
          "approver2,kodomo,approver,,退職\r\n"           # leaves
          "newbie1,kodomo,窓口,新人　太郎,1\r\n")          # joins


@pytest.fixture
def staff_before(counter, approver, approver2):
    return {s.username: s for s in (counter, approver, approver2)}


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_roster_dry_run_prints_and_changes_nothing(staff_before, tmp_path, encoding):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode(encoding))
    before = AuditEvent.objects.count()
    out, _ = run("import_roster", str(path), "--dry-run")
    assert out.splitlines() == [
        "新規 newbie1: kodomo／counter",
        "異動 counter1: kodomo／counter → zeimu／counter",
        "表示名の変更 counter1",
        "表示名の変更 approver1",
        "無効化 approver2",
        "（dry-run：変更していません）新規 1・異動 1・表示名 2・無効化 1・変更なし 0",
    ]
    assert AuditEvent.objects.count() == before
    assert not Staff.objects.filter(username="newbie1").exists()
    assert Staff.objects.get(username="counter1").department.code == "kodomo"


def test_roster_import_applies_every_row_and_audits_each_change(staff_before, tmp_path, monkeypatch):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("cp932"))
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    out, _ = run("import_roster", str(path), "--password-stdin", stdin=NEW_PASSWORD + "\n", monkeypatch=monkeypatch)
    assert "反映しました：新規 1・異動 1・表示名 2・無効化 1・変更なし 0" in out
    newbie = Staff.objects.get(username="newbie1")
    assert newbie.check_password(NEW_PASSWORD) and newbie.role == Role.COUNTER and newbie.display_name == "新人　太郎"
    assert Staff.objects.get(username="counter1").department.code == "zeimu"
    assert Staff.objects.get(username="approver1").display_name == "所属長　花子"
    assert not Staff.objects.get(username="approver2").is_active
    done = [a for a, _ in actions(after=start)]
    assert done == ["staff.create", "staff.move", "staff.update", "staff.update", "staff.deactivate",
                    "staff.roster_import"]
    assert actions("staff.roster_import")[0][1] == {"created": 1, "moved": 1, "renamed": 2, "deactivated": 1,
                                                    "unchanged": 0}
    text = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert NEW_PASSWORD not in text and "新人" not in text
    # The same roster again: nothing to do.
    out, _ = run("import_roster", str(path))
    assert "新規 0・異動 0・表示名 0・無効化 0・変更なし 4" in out


def test_a_roster_with_errors_changes_nothing_and_says_where(staff_before, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("username,department,role\ncounter1,zeimu,counter\nx1,nowhere,counter\nx2,kodomo,boss\n"
                    "counter1,kodomo,counter\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("import_roster", str(path))
    message = str(error.value)
    assert "3行目: 所属コード nowhere は存在しません。" in message
    assert "4行目: 役割「boss」は正しくありません" in message
    assert "5行目: ユーザー名 counter1 が 2行目と重複しています。" in message
    assert Staff.objects.get(username="counter1").department.code == "kodomo"
    path.write_bytes(b"username,department,role\n\x81 ,x,y\n")  # neither UTF-8 nor CP932
    with pytest.raises(CommandError, match="文字コードを判別できません"):
        run("import_roster", str(path))


def test_passwords_never_come_from_the_command_line(staff_before, tmp_path, monkeypatch):
    path = tmp_path / "roster.csv"
    path.write_text("username,department,role\nnewbie2,kodomo,counter\n", encoding="utf-8")
    with pytest.raises(TypeError):  # no such option
        call_command("import_roster", str(path), password=NEW_PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal, nothing piped
    with pytest.raises(CommandError, match="--password-stdin"):
        run("import_roster", str(path))
    with pytest.raises(CommandError, match="12文字以上"):
        run("import_roster", str(path), "--password-stdin", stdin="short\n", monkeypatch=monkeypatch)
    assert not Staff.objects.filter(username="newbie2").exists()


def test_create_staff_reads_the_password_from_stdin(departments, monkeypatch):
    run("create_staff", "--username", "piped1", "--department", "kodomo", "--role", "counter", "--password-stdin",
        stdin=NEW_PASSWORD + "\n", monkeypatch=monkeypatch)
    assert Staff.objects.get(username="piped1").check_password(NEW_PASSWORD)
