import io

import pytest

from audit.models import AuditEvent
from checks.protection import notice_excluded_set
from tests.conftest import born_aged
from victims import services
from victims.services import case_confirm_procedure

URL = "/api/v1/recipient-filter/"


def send(client, content: bytes, **extra):
    f = io.BytesIO(content)
    f.name = "atesaki.csv"
    return client.post(URL, {"file": f}, format="multipart", **extra)


@pytest.fixture
def targets(counter, approver, register, today):
    made = {}
    # ②-I, flags set, card suspension not confirmed: excluded.
    t, cr = register(counter, atena_no="700000000000001", cases=[{"type": "2-I", "card_left": True, "agent_set": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["2-I open"] = t
    # ②-I pending (no flags yet): excluded all the same.
    made["2-I pending"], _ = register(counter, atena_no="700000000000002")
    # ②-I with every procedure confirmed (flags may still be set): kept.
    t, cr = register(counter, atena_no="700000000000003", cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case_confirm_procedure(actor=counter, case_id=t.cases.get().pk, procedure="card", confirmed_on=today)
    made["2-I done"] = t
    # Only partly confirmed: excluded.
    t, cr = register(counter, atena_no="700000000000004", cases=[{"type": "2-I", "card_left": True, "agent_set": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case_confirm_procedure(actor=counter, case_id=t.cases.get().pk, procedure="card", confirmed_on=today)
    made["2-I partial"] = t
    # ②-II, representation not ended: excluded.
    t, cr = register(counter, atena_no="700000000000005", birth_date=born_aged(11),
                     cases=[{"type": "2-II", "legal_representative": "parent"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["2-II"] = t
    # ①-I only: no ② case, kept (the abuser too).
    t, cr = register(counter, atena_no="700000000000006", cases=[{"type": "1-I", "abuser_atena_no": "700000000000007"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["1-I"] = t
    return made


def test_excluded_set_follows_the_rule(targets):
    assert sorted(notice_excluded_set()) == ["700000000000001", "700000000000002", "700000000000004",
                                             "700000000000005"]


def test_filter_keeps_format_and_order_and_removes_targets(api, targets, other_counter):
    original = ("宛名番号,氏名,区分\r\n"
                "700000000000009,一般　太郎,1\r\n"
                "700000000000001,対象　一,1\r\n"
                "\"700000000000003\",手続完了,2\r\n"
                "７０００００００００００００２,全角,1\r\n"
                "70000000000000,桁不足,1\r\n"
                "700000000000006,ＤＶ１,1\r\n"
                "700000000000009,重複,1\r\n"
                "700000000000005,未成年,1")
    expected = ("宛名番号,氏名,区分\r\n"
                "700000000000009,一般　太郎,1\r\n"
                "\"700000000000003\",手続完了,2\r\n"
                "700000000000006,ＤＶ１,1\r\n"
                "700000000000009,重複,1\r\n")
    resp = send(api(other_counter), original.encode("cp932"))
    assert resp.status_code == 200, resp.content
    assert resp.content == expected.encode("cp932")
    assert resp["X-Encoding"] == "cp932"
    assert resp["X-Removed-Count"] == "3"
    assert resp["X-Malformed-Count"] == "1" and resp["X-Malformed-Lines"] == "6"
    assert resp["X-Duplicate-Count"] == "1" and resp["X-Duplicate-Lines"] == "8"
    assert resp["X-Line-Count"] == "9" and resp["X-Record-Count"] == "7" and resp["X-Kept-Count"] == "4"
    event = AuditEvent.objects.get(action="recipient_filter.run")
    assert event.detail["removed"] == 3 and event.detail["records"] == 7
    assert "700000000000001" not in str(event.detail) and "太郎" not in str(event.detail)


def test_utf8_bom_and_lf_are_preserved(api, targets, other_counter):
    original = "\ufeff700000000000001\n700000000000003\n700000000000009\n".encode("utf-8")
    resp = send(api(other_counter), original)
    assert resp.status_code == 200
    assert resp.content == "\ufeff700000000000003\n700000000000009\n".encode("utf-8")
    assert resp["X-Encoding"] == "utf-8-sig" and resp["X-Removed-Count"] == "1"


def test_bom_survives_when_the_first_line_is_malformed(api, targets, other_counter):
    resp = send(api(other_counter), "\ufeff7000\n700000000000009\n".encode("utf-8"))
    assert resp.content == "\ufeff700000000000009\n".encode("utf-8")
    assert resp["X-Malformed-Lines"] == "1"


def test_bom_survives_when_the_first_line_is_kept(api, targets, other_counter):
    original = "\ufeff700000000000009\n700000000000001".encode("utf-8")
    resp = send(api(other_counter), original)
    assert resp.content == "\ufeff700000000000009\n".encode("utf-8")


def test_json_variant(api, targets, other_counter):
    resp = send(api(other_counter), b"700000000000001\r\nabc\r\n700000000000009\r\n",
                HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    body = resp.json()
    assert body["content"] == "700000000000009\r\n"
    assert body["removed_count"] == 1 and body["malformed_count"] == 1
    assert body["malformed"][0]["line"] == 2


@pytest.mark.parametrize("content", ["700000000000001\n".encode("utf-16-le"), b"\x00\x00", b"\x81\x7f\n"])
def test_bad_encodings_are_refused(api, targets, other_counter, content):
    resp = send(api(other_counter), content)
    assert resp.status_code == 400 and "file" in resp.json()["errors"]


def test_missing_file_and_oversize(api, targets, other_counter, settings):
    resp = api(other_counter).post(URL, {}, format="multipart")
    assert resp.status_code == 400 and "file" in resp.json()["errors"]
    settings.RECIPIENT_FILTER_MAX_UPLOAD_BYTES = 100  # the recipient file's own cap (ADR 0017)
    assert send(api(other_counter), b"700000000000009\n" * 50).status_code == 413


def test_non_linkage_department_cannot_filter(api, targets, nonlinkage_counter, auditor):
    assert send(api(nonlinkage_counter), b"700000000000009\n").status_code == 403
    assert send(api(auditor), b"700000000000009\n").status_code == 403
    assert AuditEvent.objects.filter(action="recipient_filter.run", outcome="denied").count() == 2


def test_nothing_of_the_upload_is_kept(api, targets, other_counter, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    resp = send(api(other_counter), b"700000000000001\n700000000000009\n")
    assert resp.status_code == 200
    assert list(tmp_path.iterdir()) == []

    event = AuditEvent.objects.get(action="recipient_filter.run")
    assert "700000000000009" not in str(event.detail)
