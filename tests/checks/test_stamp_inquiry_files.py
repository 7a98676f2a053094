"""Stamping inquiry request files (ADR 0044): real-shaped CP932/CRLF files, every field padded,
compared byte by byte with an expectation the test builds itself."""
import json

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent, AuditEventTarget
from checks.file_layouts import load_layout
from checks.layout_confirmation import layout_confirm
from checks.protection import nondisclosure_code_required
from tests.conftest import system_client_key
from victims import services
from victims.services import case_confirm_procedure

from .conftest import CODE_INDEX, STAMP_URL, WIDTHS, request_line, send


@pytest.fixture
def population(counter, approver, register, today):
    made = {}
    made["pending"], _ = register(counter, atena_no="500000000000001")
    t, cr = register(counter, atena_no="500000000000002", cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["2-I"] = t
    t, cr = register(counter, atena_no="500000000000004", cases=[{"type": "1-I", "abuser_atena_no": "500000000000005"},
                                                                 {"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["1-I"] = t
    t, cr = register(counter, atena_no="500000000000006", cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case_confirm_procedure(actor=counter, case_id=t.cases.get().pk, procedure="card", confirmed_on=today)
    rel = services.release_request_create(actor=counter, target_id=t.pk, reason="2-I_complete", case_ids=None)
    services.change_request_approve(actor=approver, change_request_id=rel.pk)
    made["released"] = t
    return made


PROTECTED = ["500000000000001", "500000000000002", "500000000000004", "500000000000005"]
NOT_PROTECTED = ["500000000000006", "999999999999999", "123456789012345"]


def test_the_rule_the_fixture_relies_on(population):
    for number in PROTECTED:
        assert nondisclosure_code_required(number, "inquiry")[0], number
    for number in NOT_PROTECTED:
        assert not nondisclosure_code_required(number, "inquiry")[0], number


def test_protected_lines_are_stamped_and_nothing_else_changes(api, other_counter, population, confirmed):
    rows = [  # (atena, integrated, code in, code expected out)
        ("999999999999999", "", "0", "0"),  # a stranger
        ("500000000000001", "", "0", "1"),  # a pending registration
        ("500000000000002", "", "0", "1"),  # a victim under ②
        ("500000000000005", "", "0", "1"),  # the registered abuser of an active ①-I
        ("500000000000006", "", "0", "0"),  # released: no longer protected
        ("500000000000006", "", "1", "1"),  # never cleared, whoever the person
        ("500000000000002", "", "1", "1"),  # already stamped
        ("123456789012345", "500000000000004", "0", "1"),  # protected by the other number
        ("500000000000002", "", "0", "1"),  # the same person twice: every line
    ]
    original = b"".join(request_line(a, integrated=i, code=c) for a, i, c, _ in rows)
    expected = b"".join(request_line(a, integrated=i, code=e) for a, i, _, e in rows)
    assert len(original) == 239 * len(rows)
    resp = send(api(other_counter), STAMP_URL, original)
    assert resp.status_code == 200, resp.content[:500]
    body = b"".join(resp.streaming_content)
    assert body == expected
    assert [i for i in range(len(body)) if body[i] != original[i]] == [
        239 * n + sum(WIDTHS[:CODE_INDEX]) + CODE_INDEX for n in (1, 2, 3, 7, 8)]  # only their code byte
    assert resp["X-Line-Count"] == "9"
    assert resp["X-Stamped-Count"] == "5"
    assert resp["X-Already-Stamped-Count"] == "2"
    assert resp["X-Required-Count"] == "6"
    assert resp["X-Layout"] == "chukan_shokai_request"
    event = AuditEvent.objects.get(action="inquiry_file.stamp")
    assert event.detail["lines"] == 9 and event.detail["stamped"] == 5 and event.detail["required"] == 6
    ids = set(AuditEventTarget.objects.filter(event_id=event.pk).values_list("target_id", flat=True))
    # Every protecting target the file named (as the bulk check records them); a released one is not.
    assert ids == {population["pending"].pk, population["2-I"].pk, population["1-I"].pk}
    text = repr(event.detail)
    assert "5000000000" not in text and "税務課" not in text and "shokai.txt" not in text


def test_json_variant_gives_counts_and_line_numbers(api, other_counter, population, confirmed):
    original = request_line("500000000000001") + request_line("999999999999999") + request_line("500000000000002")
    resp = send(api(other_counter), STAMP_URL, original, query="?format=json")
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"layout": "chukan_shokai_request", "layout_version": "1", "line_count": 3,
                           "required_count": 2, "stamped_count": 2, "already_stamped_count": 0,
                           "stamped_lines": [1, 3]}


def test_a_last_line_without_line_ending_is_kept_so(api, other_counter, population, confirmed):
    original = request_line("999999999999999") + request_line("500000000000002")[:-2]
    resp = send(api(other_counter), STAMP_URL, original)
    assert resp.status_code == 200, resp.content
    assert b"".join(resp.streaming_content) == request_line("999999999999999") + request_line(
        "500000000000002", code="1")[:-2]


def test_a_malformed_file_is_refused_whole_with_line_numbers(api, other_counter, population, confirmed):
    good = request_line("500000000000002")
    bad_code = request_line("500000000000001", code="9")
    short = request_line("999999999999999")[:-3] + b"\r\n"
    letters = request_line("50000000000000A")
    lf_only = request_line("999999999999999")[:-2] + b"\n"
    shifted = request_line("999999999999999").replace(b",", b";", 1)
    undecodable = request_line("999999999999999", dept="x").replace(b"x", b"\x81", 1)
    original = good + bad_code + short + letters + lf_only + shifted + undecodable + good
    client = api(other_counter)
    resp = send(client, STAMP_URL, original)
    assert resp.status_code == 400, resp.content
    errors = resp.json()["errors"]
    assert sorted(int(k.split(":")[1]) for k in errors if k.startswith("file:")) == [2, 3, 4, 5, 6, 7]
    assert "照会側不開示コード" in errors["file:2"][0]
    assert "長さ" in errors["file:3"][0]
    assert "宛名番号" in errors["file:4"][0]
    assert "CRLF" in errors["file:5"][0]
    assert "区切り" in errors["file:6"][0]
    assert "cp932" in errors["file:7"][0]
    assert not AuditEvent.objects.filter(action="inquiry_file.stamp", outcome="allowed").exists()
    # A wrong separator alone (right length) is refused as well.
    assert send(client, STAMP_URL, good + shifted).status_code == 400


def test_refused_before_the_layout_is_confirmed(api, other_counter, population):
    resp = send(api(other_counter), STAMP_URL, request_line("500000000000002"))
    assert resp.status_code == 409, resp.content
    assert "確認されていない" in resp.json()["detail"]
    event = AuditEvent.objects.get(action="inquiry_file.stamp")
    assert event.outcome == "denied" and event.detail["reason"] == "layout_unconfirmed"


def test_who_may_stamp(api, counter, nonlinkage_counter, sysadmin, population, confirmed):
    content = request_line("500000000000002")
    assert send(api(nonlinkage_counter), STAMP_URL, content).status_code == 403
    assert send(api(sysadmin), STAMP_URL, content).status_code == 403
    assert send(api(), STAMP_URL, content).status_code == 401
    assert send(api(counter), STAMP_URL, content).status_code == 200
    assert AuditEvent.objects.filter(action="inquiry_file.stamp", outcome="denied").count() == 2


def test_system_clients_need_the_stamp_scope(population, confirmed):
    content = request_line("500000000000002")
    checker = APIClient()
    checker.credentials(HTTP_AUTHORIZATION=f"System {system_client_key('zeimu-check', 'zeimu', 'inquiry_check')}")
    assert send(checker, STAMP_URL, content).status_code == 403
    stamper = APIClient()
    stamper.credentials(HTTP_AUTHORIZATION=f"System {system_client_key('zeimu-batch', 'zeimu', 'inquiry_file_stamp')}")
    resp = send(stamper, STAMP_URL, content)
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == request_line("500000000000002", code="1")


def test_limits(api, other_counter, population, confirmed, settings):
    client = api(other_counter)
    settings.BULK_MAX_LINES = 3
    assert send(client, STAMP_URL, request_line("999999999999999") * 4).status_code == 413
    settings.BULK_MAX_LINES = 100
    settings.FILE_STAMP_MAX_UPLOAD_BYTES = 239 * 2
    assert send(client, STAMP_URL, request_line("999999999999999") * 3).status_code == 413
    settings.FILE_STAMP_MAX_UPLOAD_BYTES = 0
    settings.BULK_NUMBERS_PER_CALLER_DAY = 5
    assert send(client, STAMP_URL, request_line("999999999999999") * 4).status_code == 200
    resp = send(client, STAMP_URL, request_line("999999999999999") * 2)
    assert resp.status_code == 429, resp.content


@pytest.mark.parametrize(("defect", "message"), [
    (lambda line: line.replace("税務課".encode("cp932"), b"\x81\x20" + "務課".encode("cp932"), 1), "cp932"),
    (lambda line: line[:112] + b"2" + line[113:], "照会側不開示コード"),
    (lambda line: line[:3] + b"5000000000000-1" + line[18:], "宛名番号"),
    (lambda line: line[:19] + b"12345678901234 " + line[34:], "統合宛名番号"),
    (lambda line: line[:2] + b" " + line[3:], "区切り"),
    (lambda line: line[:-2] + b"\n\r", "CRLF"),
])
def test_one_defect_of_the_right_length_refuses_the_file(api, other_counter, population, confirmed, defect, message):
    """Each check of the fast pass on its own: the line keeps its length, so only that check sees it."""
    good = request_line("999999999999999")
    bad = defect(request_line("500000000000002"))
    assert len(bad) == len(good)
    resp = send(api(other_counter), STAMP_URL, good * 3 + bad + good)
    assert resp.status_code == 400, resp.content
    errors = resp.json()["errors"]
    assert [k for k in errors if k.startswith("file:")][:1] == ["file:4"], errors
    assert message in errors["file:4"][0]


def test_a_pure_fixed_width_utf8_lf_layout(api, other_counter, sysadmin, population, tmp_path, settings):
    """The engine follows the definition: no separator, UTF-8, LF, a two-byte code."""
    settings.FILE_LAYOUT_DIR = str(tmp_path)
    settings.INQUIRY_FILE_LAYOUT = "fixed_utf8"
    (tmp_path / "fixed_utf8.json").write_text(json.dumps({
        "name": "fixed_utf8", "kind": "inquiry_request", "version": "2", "encoding": "utf-8", "line_ending": "LF",
        "separator": "", "fields": [
            {"name": "宛名番号", "width": 15, "padding": "zero-left"},
            {"name": "氏名欄", "width": 9, "padding": "space-right"},
            {"name": "コード", "width": 2, "padding": "none"},
            {"name": "統合宛名番号", "width": 15, "padding": "space-right"}],
        "atena_no_field": "宛名番号", "integrated_atena_no_field": "統合宛名番号", "code_field": "コード",
        "values": {"nondisclosure": "ND", "disclosure": "DI"}}), encoding="utf-8")
    layout_confirm(actor=sysadmin, layout=load_layout("fixed_utf8"))
    original = ("500000000000002" + "照会者" + "DI" + " " * 15 + "\n"
                + "999999999999999" + "照会者" + "DI" + "500000000000005" + "\n"
                + "999999999999998" + "照会者" + "DI" + " " * 15 + "\n").encode()
    expected = original.replace(b"DI", b"ND", 2)
    resp = send(api(other_counter), STAMP_URL, original)
    assert resp.status_code == 200, resp.content
    assert b"".join(resp.streaming_content) == expected


def test_a_victim_is_stamped_by_the_standard_systems_number_too(api, other_counter, counter, approver, register,
                                                                  confirmed):
    # Standard business systems write their own 宛名番号 where the 統合宛名番号 would go (issue 13,
    # ADR 0046): the stamper knows the person by it exactly as by the 団体内統合宛名番号.
    target, cr = register(counter, atena_no="510000000000001", standard_atena_no="520000000000001",
                          cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    rows = [("520000000000001", "", "0", "1"), ("", "520000000000001", "0", "1"),
            ("510000000000001", "", "0", "1"), ("530000000000001", "", "0", "0")]
    original = b"".join(request_line(a, integrated=i, code=c) for a, i, c, _ in rows)
    expected = b"".join(request_line(a, integrated=i, code=e) for a, i, _, e in rows)
    resp = send(api(other_counter), STAMP_URL, original)
    assert resp.status_code == 200, resp.content[:500]
    assert b"".join(resp.streaming_content) == expected
    assert resp["X-Stamped-Count"] == "3"
    event = AuditEvent.objects.get(action="inquiry_file.stamp")
    assert set(AuditEventTarget.objects.filter(event_id=event.pk).values_list("target_id", flat=True)) == {target.pk}
